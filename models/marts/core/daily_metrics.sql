{#
    The relation behind the Metabase model "Daily Metrics": the upstream pipeline's daily
    buckets of exp.metric_aggregates, with experiment and variant names. metric_date is the UTC
    day the bucket starts.
#}
with

metric_aggregates as (

    select * from {{ ref('stg_exp__metric_aggregates') }}

),

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

daily_buckets_named as (

    select
        metric_aggregates.bucket_start_date as metric_date,
        metric_aggregates.experiment_id,
        variants_named.experiment_name,
        metric_aggregates.variant_id,
        variants_named.variant_name,
        metric_aggregates.metric_name,
        metric_aggregates.metric_mean as mean,
        metric_aggregates.metric_count as count,
        metric_aggregates.metric_variance as variance,
        metric_aggregates.computed_at

    from metric_aggregates
    left join variants_named
        on metric_aggregates.variant_id = variants_named.variant_id

    where metric_aggregates.bucket_type = 'daily'

)

select * from daily_buckets_named
