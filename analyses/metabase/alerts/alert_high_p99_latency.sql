{#
    Alert "p99 latency above 2000 ms" (engineering). For each experiment x variant, takes the
    newest HOURLY bucket of the upstream metric aggregates (metric latency_p99, via the required
    view exp.v_experiment_metrics) among the buckets that started in the last 2 hours, and
    returns it when its p99 is above 2000 ms; no row otherwise. The 2-hour horizon covers the
    last complete hour even right after the hour turns, and keeps a variant whose traffic
    stopped from alerting forever. Real time: the view reads exp.metric_aggregates directly.
#}
{%- set threshold_ms = var('alert_p99_latency_ms', 2000) -%}
with

experiment_metrics as (

    select * from {{ ref('v_experiment_metrics') }}

),

recent_hourly_p99 as (

    select distinct on (experiment_id, variant_id)
        experiment_id,
        variant_id,
        experiment_name,
        variant_name,
        mean as latency_p99_ms,
        count as generation_count,
        bucket_started_at
    from experiment_metrics
    where
        bucket_type = 'hourly'
        and metric_name = 'latency_p99'
        and bucket_started_at >= now() - interval '2 hours'
    order by experiment_id asc, variant_id asc, bucket_started_at desc

),

variants_above_threshold as (

    select
        experiment_id,
        variant_id,
        experiment_name,
        variant_name,
        latency_p99_ms,
        {{ threshold_ms }} as threshold_ms,
        generation_count,
        bucket_started_at
    from recent_hourly_p99
    where latency_p99_ms > {{ threshold_ms }}

)

select * from variants_above_threshold
order by latency_p99_ms desc, experiment_name asc, variant_name asc
