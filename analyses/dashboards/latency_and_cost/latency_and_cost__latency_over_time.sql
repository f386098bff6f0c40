{#
    Latency & Cost · Latency Over Time: p50, p95 and p99 latency of all generations per UTC hour,
    over the last 7 days including today (up to 168 points), so a spike of an hour shows instead
    of disappearing into a day. Read from the mart hourly_latency_percentiles (exact percentiles
    per hour, computed once per closed day by the build: at most 168 rows read, whatever the
    number of generations); the daily view over 30 days is the card Daily Latency.
#}
with

hourly_latency_percentiles as (

    select * from {{ ref('hourly_latency_percentiles') }}

),

hourly_latency as (

    select
        metric_hour,
        request_count,
        latency_p50_ms,
        latency_p95_ms,
        latency_p99_ms
    from hourly_latency_percentiles
    where metric_date >= {{ utc_today() }} - 6

)

select * from hourly_latency
order by metric_hour asc
