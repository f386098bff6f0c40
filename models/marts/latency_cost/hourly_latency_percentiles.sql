{#
    Per UTC hour, all experiments together: generations with a measured latency and their exact
    latency percentiles (percentile_cont). The card Latency Over Time reads the last 7 days'
    hours (at most 168 rows) instead of sorting a week of generations on every view (4.4 s at
    10M events). An hour's percentiles cannot be merged from other hours, so each closed day's
    hours are computed once: incremental (replace_days by metric_date, the hour's UTC day) like
    the other daily marts, recomputing only the days int_event_log_days rebuilds.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='metric_date',
        on_schema_change='fail',
        indexes=[{'columns': ['metric_date']}],
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

generations as (

    select * from {{ ref('generations') }}

),

hourly_latency_percentiles as (

    select
        generated_date as metric_date,
        {{ utc_hour('generated_at') }} as metric_hour,
        count(*) as request_count,
        percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
        percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
        percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms

    from generations

    where
        latency_ms is not null
        {% if is_incremental() %}
            and generated_date in {{ rebuilt_days() }}
        {% endif %}

    group by 1, 2

)

select * from hourly_latency_percentiles
