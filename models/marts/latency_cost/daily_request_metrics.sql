{#
    Per UTC day, all experiments together: request volume, latency percentiles, tokens and the
    estimated cost (sum over models of daily_model_costs' formula). Incremental like the other
    daily marts.
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

model_token_prices as (

    select * from {{ ref('model_token_prices') }}

),

generations_to_aggregate as (

    select * from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
    {% endif %}

),

generations_priced as (

    select
        generations_to_aggregate.generated_date,
        generations_to_aggregate.latency_ms,
        generations_to_aggregate.prompt_tokens,
        generations_to_aggregate.completion_tokens,
        generations_to_aggregate.total_tokens,
        (
            generations_to_aggregate.prompt_tokens
            * model_token_prices.usd_per_million_prompt_tokens
            + generations_to_aggregate.completion_tokens
            * model_token_prices.usd_per_million_completion_tokens
        ) as cost_micro_usd,
        generations_to_aggregate.last_received_at

    from generations_to_aggregate
    left join model_token_prices
        on generations_to_aggregate.model_name = model_token_prices.model_name

),

daily_request_metrics as (

    select
        generated_date as metric_date,
        count(*) as request_count,
        percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
        percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
        percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms,
        avg(latency_ms) as avg_latency_ms,
        avg(total_tokens)::double precision as tokens_per_request,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(cost_micro_usd)::double precision / 1000000 as estimated_cost_usd,
        max(last_received_at) as last_received_at

    from generations_priced

    group by 1

)

select * from daily_request_metrics
