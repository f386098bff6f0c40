{#
    Per experiment x variant x UTC day of generation: volumes, acceptance, edits, latency
    percentiles and tokens. The counts and sums are added up from int_variant_days; only the
    exact single-day latency percentiles read the generations' latencies (the rebuilt days'
    only). Incremental: replaces the days int_event_log_days rebuilds.
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

variant_days as (

    select * from {{ ref('int_variant_days') }}

),

generations as (

    select * from {{ ref('generations') }}

),

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

variant_days_to_add as (

    select * from variant_days

    {% if is_incremental() %}
        where metric_date in {{ rebuilt_days() }}
    {% endif %}

),

daily_variant_totals as (

    select
        experiment_id,
        variant_id,
        metric_date,
        sum(generation_count)::bigint as generation_count,
        coalesce(sum(generation_count) filter (where outcome in ('accepted', 'edited')), 0)::bigint
            as accepted_count,
        sum(edit_count * generation_count)::bigint as edit_count_total,
        (sum(latency_ms_sum) / nullif(sum(latency_measured_count), 0))::{{ sql_type('double precision') }}
            as avg_latency_ms,
        (sum(total_tokens) / nullif(sum(token_measured_count), 0))::{{ sql_type('double precision') }}
            as tokens_per_request,
        max(last_received_at) as last_received_at

    from variant_days_to_add

    group by 1, 2, 3

),

daily_variant_latency_percentiles as (

    select
        experiment_id,
        variant_id,
        generated_date as metric_date,
        percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
        percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
        percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms

    from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
    {% endif %}

    group by 1, 2, 3

),

daily_variant_metrics as (

    select
        daily_variant_totals.experiment_id,
        variants_named.experiment_name,
        daily_variant_totals.variant_id,
        variants_named.variant_name,
        variants_named.is_control,
        daily_variant_totals.metric_date,
        daily_variant_totals.generation_count,
        daily_variant_totals.accepted_count,
        daily_variant_totals.accepted_count::{{ sql_type('double precision') }}
        / daily_variant_totals.generation_count as acceptance_rate,
        daily_variant_totals.edit_count_total,
        daily_variant_totals.edit_count_total::{{ sql_type('double precision') }}
        / daily_variant_totals.generation_count as avg_edits,
        daily_variant_totals.avg_latency_ms,
        daily_variant_latency_percentiles.latency_p50_ms,
        daily_variant_latency_percentiles.latency_p95_ms,
        daily_variant_latency_percentiles.latency_p99_ms,
        daily_variant_totals.tokens_per_request,
        daily_variant_totals.last_received_at

    from daily_variant_totals
    left join daily_variant_latency_percentiles
        on
            daily_variant_totals.experiment_id = daily_variant_latency_percentiles.experiment_id
            and daily_variant_totals.variant_id = daily_variant_latency_percentiles.variant_id
            and daily_variant_totals.metric_date = daily_variant_latency_percentiles.metric_date
    left join variants_named
        on daily_variant_totals.variant_id = variants_named.variant_id

)

select * from daily_variant_metrics
