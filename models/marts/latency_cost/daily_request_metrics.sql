{#
    Per UTC day, all experiments together: request volume, latency percentiles, tokens and the
    estimated cost (sum over models of daily_model_costs' formula). The counts and sums are
    added up from int_variant_days; only the exact single-day latency percentiles read the
    generations' latencies (the rebuilt days' only). Incremental like the other daily marts.
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

model_token_prices as (

    select * from {{ ref('model_token_prices') }}

),

variant_days_priced as (

    select
        variant_days.metric_date,
        variant_days.generation_count,
        variant_days.latency_ms_sum,
        variant_days.latency_measured_count,
        variant_days.prompt_tokens,
        variant_days.completion_tokens,
        variant_days.total_tokens,
        variant_days.token_measured_count,
        {#- the same as summing each generation's price: numeric arithmetic is exact #}
        (
            variant_days.priced_prompt_tokens * model_token_prices.usd_per_million_prompt_tokens
            + variant_days.priced_completion_tokens
            * model_token_prices.usd_per_million_completion_tokens
        ) as cost_micro_usd,
        variant_days.last_received_at

    from variant_days
    left join model_token_prices
        on variant_days.model_name = model_token_prices.model_name

    {% if is_incremental() %}
        where variant_days.metric_date in {{ rebuilt_days() }}
    {% endif %}

),

daily_totals as (

    select
        metric_date,
        sum(generation_count)::bigint as request_count,
        (sum(latency_ms_sum) / nullif(sum(latency_measured_count), 0))::{{ sql_type('double precision') }}
            as avg_latency_ms,
        (sum(total_tokens) / nullif(sum(token_measured_count), 0))::{{ sql_type('double precision') }}
            as tokens_per_request,
        sum(prompt_tokens)::bigint as prompt_tokens,
        sum(completion_tokens)::bigint as completion_tokens,
        sum(cost_micro_usd)::{{ sql_type('double precision') }} / 1000000 as estimated_cost_usd,
        max(last_received_at) as last_received_at

    from variant_days_priced

    group by 1

),

daily_latency_percentiles as (

    select
        generated_date as metric_date,
        percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
        percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
        percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms

    from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
    {% endif %}

    group by 1

),

daily_request_metrics as (

    select
        daily_totals.metric_date,
        daily_totals.request_count,
        daily_latency_percentiles.latency_p50_ms,
        daily_latency_percentiles.latency_p95_ms,
        daily_latency_percentiles.latency_p99_ms,
        daily_totals.avg_latency_ms,
        daily_totals.tokens_per_request,
        daily_totals.prompt_tokens,
        daily_totals.completion_tokens,
        daily_totals.estimated_cost_usd,
        daily_totals.last_received_at

    from daily_totals
    left join daily_latency_percentiles
        on daily_totals.metric_date = daily_latency_percentiles.metric_date

)

select * from daily_request_metrics
