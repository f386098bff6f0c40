{#
    Per experiment x variant x UTC day of generation x latency bucket: how many generations had
    a latency in the bucket, and the bucket's smallest and largest latency. The mergeable
    summary behind every latency percentile over more than one day (macros/statistics/
    latency_histograms.sql: log-spaced buckets, relative error <= 1 %): variant_latency_
    distribution, experiment_performance and the cards' date windows add these rows up instead
    of sorting the generations again. Incremental like the other daily marts.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='metric_date',
        on_schema_change='fail',
        indexes=[{'columns': ['metric_date']}],
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

generations as (

    select * from {{ ref('generations') }}

),

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

measured_generations as (

    select
        experiment_id,
        variant_id,
        generated_date as metric_date,
        latency_ms,
        {{ latency_histogram_bucket('latency_ms') }} as latency_bucket

    from generations

    where
        latency_ms is not null
        {% if is_incremental() %}
            and generated_date in {{ rebuilt_days() }}
        {% endif %}

),

latency_buckets as (

    select
        experiment_id,
        variant_id,
        metric_date,
        latency_bucket,
        count(*) as generation_count,
        min(latency_ms) as latency_min_ms,
        max(latency_ms) as latency_max_ms

    from measured_generations

    group by 1, 2, 3, 4

),

latency_buckets_named as (

    select
        latency_buckets.experiment_id,
        variants_named.experiment_name,
        latency_buckets.variant_id,
        variants_named.variant_name,
        latency_buckets.metric_date,
        latency_buckets.latency_bucket,
        latency_buckets.generation_count,
        latency_buckets.latency_min_ms,
        latency_buckets.latency_max_ms

    from latency_buckets
    left join variants_named
        on latency_buckets.variant_id = variants_named.variant_id

)

select * from latency_buckets_named
