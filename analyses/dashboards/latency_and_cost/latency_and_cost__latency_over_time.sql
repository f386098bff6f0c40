{#
    Latency & Cost · Latency Over Time: p50, p95 and p99 latency of all generations per UTC hour,
    over the last 7 days including today (up to 168 points), so a spike of an hour shows instead
    of disappearing into a day. Read from the generations mart (its generated_date index limits
    the scan to the window); the daily view over 30 days is the card Daily Latency.
#}
with

generations as (

    select * from {{ ref('generations') }}

),

recent_generations as (

    select
        {{ utc_hour('generated_at') }} as metric_hour,
        latency_ms
    from generations
    where
        generated_date >= {{ utc_today() }} - 6
        and latency_ms is not null

),

hourly_latency as (

    select
        metric_hour,
        count(*) as request_count,
        percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
        percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
        percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms
    from recent_generations
    group by metric_hour

)

select * from hourly_latency
order by metric_hour asc
