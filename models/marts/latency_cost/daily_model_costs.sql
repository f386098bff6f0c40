{#
    Per UTC day x LLM: requests, tokens and the estimated cost at the prices of the seed
    model_token_prices. A model without a price gets a null cost (and a warning from the
    relationships test on generations.model_name; the build goes on).
    Incremental like the other daily marts.
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

daily_model_tokens as (

    select
        generated_date as metric_date,
        model_name,
        count(*) as request_count,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        max(last_received_at) as last_received_at

    from generations_to_aggregate

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
        )::double precision / 1000000 as estimated_cost_usd,
        daily_model_tokens.last_received_at

    from daily_model_tokens
    left join model_token_prices
        on daily_model_tokens.model_name = model_token_prices.model_name

)

select * from daily_model_costs
