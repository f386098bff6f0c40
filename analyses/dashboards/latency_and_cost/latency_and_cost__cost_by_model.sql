{#
    Latency & Cost · Cost by Model: per underlying LLM over the last 7 complete UTC days,
    requests, tokens and the estimated cost in USD at the current prices of the seed
    model_token_prices, and the cost of the last day. A model without a price says so in
    "Price" and its costs are empty (unknown, never 0).
#}
with

daily_model_costs as (

    select * from {{ ref('daily_model_costs') }}

),

model_token_prices as (

    select * from {{ ref('model_token_prices') }}

),

window_model_costs as (

    {{ window_model_costs('daily_model_costs', 'model_token_prices', 7) }}

),

cost_by_model as (

    select
        model_name,
        case
            when is_priced then 'set'
            else 'missing: add it to seeds/model_token_prices.csv'
        end as price_status,
        request_count as request_count_last_7_days,
        tokens as tokens_last_7_days,
        estimated_cost_usd as estimated_cost_usd_last_7_days,
        case when is_priced then estimated_cost_usd_last_day end as estimated_cost_usd_last_day
    from window_model_costs

)

select * from cost_by_model
order by price_status asc, estimated_cost_usd_last_7_days desc nulls first, model_name asc
