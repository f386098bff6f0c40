{#
    Required view exp.v_experiment_metrics: the upstream pipeline's metric aggregates (hourly
    and daily buckets) with experiment and variant names.
#}
{{ config(materialized='view', schema=var('exp_views_schema')) }}

with

metric_aggregates as (

    select * from {{ ref('stg_exp__metric_aggregates') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

variants as (

    select * from {{ ref('stg_exp__variants') }}

),

metrics_named as (

    select
        metric_aggregates.experiment_id,
        experiments.experiment_name,
        metric_aggregates.variant_id,
        variants.variant_name,
        variants.is_control,
        metric_aggregates.bucket_type,
        metric_aggregates.metric_name,
        metric_aggregates.metric_mean as mean,
        metric_aggregates.metric_count as count,
        metric_aggregates.metric_variance as variance,
        metric_aggregates.bucket_start_date,
        metric_aggregates.bucket_started_at,
        metric_aggregates.computed_at

    from metric_aggregates
    left join experiments
        on metric_aggregates.experiment_id = experiments.experiment_id
    left join variants
        on metric_aggregates.variant_id = variants.variant_id

)

select * from metrics_named
