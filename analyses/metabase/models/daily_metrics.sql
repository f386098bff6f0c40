{#
    Metabase model "Daily Metrics": the platform's daily metric aggregates (one row per UTC day x
    experiment x variant x metric) with experiment and variant names. For percentile metrics
    (latency_p50/p95/p99) `mean` holds the percentile and `variance` is empty; for the others
    count, mean and sample variance recombine exactly across days.
#}
with

daily_metrics as (

    select * from {{ ref('daily_metrics') }}

),

daily_metrics_columns as (

    select
        experiment_id,
        variant_id,
        experiment_name,
        variant_name,
        metric_name,
        mean,
        count,
        variance,
        metric_date,
        computed_at
    from daily_metrics

)

select * from daily_metrics_columns
order by metric_date asc, experiment_name asc, variant_name asc, metric_name asc
