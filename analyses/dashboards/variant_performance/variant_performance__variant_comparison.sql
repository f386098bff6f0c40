{#
    Variant Performance · Variant Comparison: one row per variant of the selected experiment(s),
    over the selected date range of generations. Counts, acceptance and edits are exact sums of
    the per-variant-day mart variant_daily_metrics; the window's p50 latency is merged from the
    per-variant-day latency histograms (variant_daily_latency_histograms, macro
    latency_histogram_percentiles: within 1 % of percentile_cont over the window's generations;
    a window's p50 cannot be merged from daily p50s). Constant time in the number of events
    (issue #11 item 5). Variants without generations in the window still appear, with empty
    metrics.
    Filters: experiment -> variants.experiment_name, date range -> variant_daily_metrics.metric_date.
#}
with

variants as (

    select
        variant_id,
        experiment_name,
        variant_name,
        allocation,
        is_control
    from {{ ref('variants') }}
    where
        true
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02

),

variant_daily_metrics as (

    select
        variant_id,
        metric_date,
        generation_count,
        accepted_count,
        edit_count_total
    from {{ ref('variant_daily_metrics') }}
    where
        true
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

window_latency_histograms as (

    select histograms.*
    from {{ ref('variant_daily_latency_histograms') }} as histograms
    where
        histograms.variant_id in (select variants.variant_id from variants)
        and (histograms.variant_id, histograms.metric_date) in (
            select
                variant_daily_metrics.variant_id,
                variant_daily_metrics.metric_date
            from variant_daily_metrics
        )

),

window_latency_percentiles as (

    {{ latency_histogram_percentiles('window_latency_histograms', ['variant_id'], [('latency_p50_ms', 0.5)]) }}

),

generations_per_variant as (

    select
        variant_daily_metrics.variant_id,
        sum(variant_daily_metrics.generation_count) as generation_count,
        sum(variant_daily_metrics.accepted_count)::{{ sql_type('double precision') }}
        / sum(variant_daily_metrics.generation_count) as acceptance_rate,
        sum(variant_daily_metrics.edit_count_total)::{{ sql_type('double precision') }}
        / sum(variant_daily_metrics.generation_count) as avg_edits
    from variant_daily_metrics
    inner join variants on variant_daily_metrics.variant_id = variants.variant_id
    group by variant_daily_metrics.variant_id

),

variant_comparison as (

    select
        variants.experiment_name,
        variants.variant_name,
        variants.allocation,
        generations_per_variant.acceptance_rate,
        generations_per_variant.avg_edits,
        window_latency_percentiles.latency_p50_ms,
        coalesce(generations_per_variant.generation_count, 0) as generation_count,
        variants.is_control
    from variants
    left join generations_per_variant
        on variants.variant_id = generations_per_variant.variant_id
    left join window_latency_percentiles
        on variants.variant_id = window_latency_percentiles.variant_id

)

select * from variant_comparison
order by experiment_name asc, is_control desc, variant_name asc
