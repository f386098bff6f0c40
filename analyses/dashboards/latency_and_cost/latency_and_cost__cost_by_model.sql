{#
    Latency & Cost · Cost by Model: requests, tokens and estimated cost in USD per underlying LLM
    over the last 7 complete UTC days, and for yesterday alone.
#}
with

daily_model_costs as (

    select * from {{ ref('daily_model_costs') }}

),

last_seven_days as (

    select
        model_name,
        request_count,
        prompt_tokens,
        completion_tokens,
        estimated_cost_usd,
        metric_date
    from daily_model_costs
    where
        metric_date >= (now() at time zone 'utc')::date - 7
        and metric_date < (now() at time zone 'utc')::date

),

cost_by_model as (

    select
        model_name,
        sum(request_count) as request_count_last_7_days,
        sum(prompt_tokens + completion_tokens) as tokens_last_7_days,
        sum(estimated_cost_usd) as estimated_cost_usd_last_7_days,
        coalesce(sum(estimated_cost_usd) filter (
            where metric_date = (now() at time zone 'utc')::date - 1
        ), 0) as estimated_cost_usd_last_day
    from last_seven_days
    group by model_name

)

select * from cost_by_model
order by estimated_cost_usd_last_7_days desc, model_name asc
