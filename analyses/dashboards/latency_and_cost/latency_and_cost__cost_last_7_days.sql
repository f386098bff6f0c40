{#
    Latency & Cost · Weekly Cost Estimate: estimated cost in USD of all requests of the last 7
    complete UTC days (yesterday and the 6 days before), at the seed's token prices.
#}
with

daily_request_metrics as (

    select * from {{ ref('daily_request_metrics') }}

),

last_seven_days_cost as (

    select coalesce(sum(estimated_cost_usd), 0) as estimated_cost_usd
    from daily_request_metrics
    where
        metric_date >= (now() at time zone 'utc')::date - 7
        and metric_date < (now() at time zone 'utc')::date

)

select * from last_seven_days_cost
order by estimated_cost_usd
