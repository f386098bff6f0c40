{#
    Latency & Cost · Token Usage: mean tokens per request (prompt + completion, and each part)
    per UTC day, over the last 30 days.
#}
with

daily_request_metrics as (

    select * from {{ ref('daily_request_metrics') }}

),

recent_token_usage as (

    select
        metric_date,
        request_count,
        tokens_per_request,
        prompt_tokens::{{ sql_type('numeric') }} / nullif(request_count, 0) as prompt_tokens_per_request,
        completion_tokens::{{ sql_type('numeric') }} / nullif(request_count, 0) as completion_tokens_per_request
    from daily_request_metrics
    where metric_date >= {{ utc_today() }} - 29

)

select * from recent_token_usage
order by metric_date asc
