{#
    Latency & Cost · Daily Cost Estimate: estimated cost in USD of all requests of the last
    complete UTC day (yesterday), at the token prices of the seed model_token_prices.
    0 when there were no requests.
#}
with

daily_request_metrics as (

    select * from {{ ref('daily_request_metrics') }}

),

yesterday_cost as (

    select coalesce(sum(estimated_cost_usd), 0) as estimated_cost_usd
    from daily_request_metrics
    where metric_date = (now() at time zone 'utc')::date - 1

)

select * from yesterday_cost
order by estimated_cost_usd
