{#
    Latency & Cost · Daily Latency: p50, p95 and p99 latency of all generations per UTC day,
    over the last 30 days.
#}
with

daily_request_metrics as (

    select * from {{ ref('daily_request_metrics') }}

),

recent_latency as (

    select
        metric_date,
        request_count,
        latency_p50_ms,
        latency_p95_ms,
        latency_p99_ms
    from daily_request_metrics
    where metric_date >= {{ utc_today() }} - 29

)

select * from recent_latency
order by metric_date asc
