{#
    Variant Performance · Latency Distribution: p50, p95 and p99 latency per variant per UTC day.
    Metabase draws several metrics or one split, not both, so the three percentiles are unpivoted
    into one series per variant x percentile ("<experiment> / <variant> p95").
    Filters: experiment -> variant_daily_metrics.experiment_name, date range -> .metric_date.
#}
with

variant_daily_metrics as (

    select
        experiment_name,
        variant_name,
        latency_p50_ms,
        latency_p95_ms,
        latency_p99_ms,
        metric_date
    from {{ ref('variant_daily_metrics') }}
    where
        true
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

latency_percentiles_unpivoted as (

    select
        variant_daily_metrics.metric_date,
        variant_daily_metrics.experiment_name,
        variant_daily_metrics.variant_name,
        percentiles.percentile,
        variant_daily_metrics.experiment_name
        || ' / '
        || variant_daily_metrics.variant_name
        || ' '
        || percentiles.percentile as series_name,
        percentiles.latency_ms
    from variant_daily_metrics
    {{ lateral_rows(
        [
            ["'p50'", 'variant_daily_metrics.latency_p50_ms'],
            ["'p95'", 'variant_daily_metrics.latency_p95_ms'],
            ["'p99'", 'variant_daily_metrics.latency_p99_ms'],
        ],
        'percentiles',
        ['percentile', 'latency_ms'],
    ) }}

)

select * from latency_percentiles_unpivoted
order by metric_date asc, experiment_name asc, variant_name asc, percentile asc
