{#
    Required view exp.v_experiment_metrics: the upstream pipeline's metric aggregates (hourly
    and daily buckets) with experiment and variant names.
#}
{{ config(materialized='view', schema=var('exp_views_schema')) }}

with

metric_aggregates as (

    select * from {{ ref('stg_exp__metric_aggregates') }}

),

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

metrics_named as (

    select
        metric_aggregates.experiment_id,
        variants_named.experiment_name,
        metric_aggregates.variant_id,
        variants_named.variant_name,
        variants_named.is_control,
        metric_aggregates.bucket_type,
        metric_aggregates.metric_name,
        metric_aggregates.metric_mean as mean,
        metric_aggregates.metric_count as count,
        metric_aggregates.metric_variance as variance,
        metric_aggregates.bucket_start_date,
        metric_aggregates.bucket_started_at,
        metric_aggregates.computed_at

    from metric_aggregates
    left join variants_named
        on metric_aggregates.variant_id = variants_named.variant_id

)

select * from metrics_named
