{#
    Per experiment x variant x UTC day of generation: volumes, acceptance, edits, latency
    percentiles and tokens. Incremental: replaces the days
    int_event_log_days rebuilds.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='metric_date',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
generations as not materialized (

    select * from {{ ref('generations') }}

),

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

generations_to_aggregate as (

    select * from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
    {% endif %}

),

daily_variant_aggregates as (

    select
        experiment_id,
        variant_id,
        generated_date as metric_date,
        count(*) as generation_count,
        count(*) filter (where is_accepted) as accepted_count,
        sum(edit_count) as edit_count_total,
        avg(latency_ms) as avg_latency_ms,
        percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
        percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
        percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms,
        avg(total_tokens) as tokens_per_request,
        max(last_received_at) as last_received_at

    from generations_to_aggregate

    group by 1, 2, 3

),

daily_variant_metrics as (

    select
        daily_variant_aggregates.experiment_id,
        variants_named.experiment_name,
        daily_variant_aggregates.variant_id,
        variants_named.variant_name,
        variants_named.is_control,
        daily_variant_aggregates.metric_date,
        daily_variant_aggregates.generation_count,
        daily_variant_aggregates.accepted_count,
        daily_variant_aggregates.accepted_count::double precision
        / daily_variant_aggregates.generation_count as acceptance_rate,
        daily_variant_aggregates.edit_count_total,
        daily_variant_aggregates.edit_count_total::double precision
        / daily_variant_aggregates.generation_count as avg_edits,
        daily_variant_aggregates.avg_latency_ms,
        daily_variant_aggregates.latency_p50_ms,
        daily_variant_aggregates.latency_p95_ms,
        daily_variant_aggregates.latency_p99_ms,
        daily_variant_aggregates.tokens_per_request::double precision as tokens_per_request,
        daily_variant_aggregates.last_received_at

    from daily_variant_aggregates
    left join variants_named
        on daily_variant_aggregates.variant_id = variants_named.variant_id

)

select * from daily_variant_metrics
