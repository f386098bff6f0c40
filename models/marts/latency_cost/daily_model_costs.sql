{#
    Per UTC day x LLM: requests, tokens and the estimated cost at the prices of the seed
    model_token_prices. A model without a price gets a null cost (and a warning from the
    relationships test on generations.model_name; the build goes on).
    Added up from int_variant_days. Incremental like the other daily marts.
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

model_token_prices as (

    select * from {{ ref('model_token_prices') }}

),

variant_days_to_add as (

    select * from variant_days

    {% if is_incremental() %}
        where metric_date in {{ rebuilt_days() }}
    {% endif %}

),

daily_model_tokens as (

    select
        metric_date,
        model_name,
        sum(generation_count)::bigint as request_count,
        sum(prompt_tokens)::bigint as prompt_tokens,
        sum(completion_tokens)::bigint as completion_tokens,
        max(last_received_at) as last_received_at

    from variant_days_to_add

    group by 1, 2

),

daily_model_costs as (

    select
        daily_model_tokens.metric_date,
        daily_model_tokens.model_name,
        daily_model_tokens.request_count,
        daily_model_tokens.prompt_tokens,
        daily_model_tokens.completion_tokens,
        (
            daily_model_tokens.prompt_tokens * model_token_prices.usd_per_million_prompt_tokens
            + daily_model_tokens.completion_tokens
            * model_token_prices.usd_per_million_completion_tokens
        )::{{ sql_type('double precision') }} / 1000000 as estimated_cost_usd,
        daily_model_tokens.last_received_at

    from daily_model_tokens
    left join model_token_prices
        on daily_model_tokens.model_name = model_token_prices.model_name

)

select * from daily_model_costs
