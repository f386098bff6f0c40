{#
    Latency & Cost · Cost Estimate, Last 7 Days: estimated cost of all requests of the last 7
    complete UTC days (yesterday and the 6 days before) at the current prices of the seed
    model_token_prices, as text: "$12.34", or "at least $12.34; no price: <model> (<n>
    requests)" when a model has no price. "$0.00" when there were no requests.
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

cost_estimate as (

    {{ cost_estimate_text('window_model_costs') }}

)

select * from cost_estimate
order by estimated_cost
