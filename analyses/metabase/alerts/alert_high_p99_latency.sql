{#
    Alert "p99 latency above 2000 ms" (engineering), checked every 15 minutes. For each
    experiment x variant the condition reads the newest HOURLY bucket of the upstream metric
    aggregates (metric latency_p99, via the required view exp.v_experiment_metrics) among the
    buckets that started in the 2 hours before the check and were computed by then; it holds
    when that p99 is above 2000 ms. The 2-hour horizon covers the last complete hour even right
    after the hour turns, and keeps a variant whose traffic stopped from alerting forever.
    One message per incident: a row only at the check where the condition starts to hold for
    the variant (it did not at the previous check slot) and no hourly bucket of the variant
    above the threshold started in the quiet period (alert_quiet_period_minutes, 60) before it.
    Real time: the view reads exp.metric_aggregates directly.
#}
{%- set step = '15 minutes' -%}
{%- set threshold_ms = var('alert_p99_latency_ms', 2000) -%}
{%- set quiet = var('alert_quiet_period_minutes', 60) -%}
with

experiment_metrics as (

    select * from {{ ref('v_experiment_metrics') }}

),

check_slots as (

    select
        {{ alert_check_slot(step) }} as checked_up_to,
        {{ alert_check_slot(step) }} - interval '{{ step }}' as previous_check

),

hourly_p99 as (

    select
        experiment_metrics.experiment_id,
        experiment_metrics.variant_id,
        experiment_metrics.experiment_name,
        experiment_metrics.variant_name,
        experiment_metrics.mean as latency_p99_ms,
        experiment_metrics.count as generation_count,
        experiment_metrics.bucket_started_at,
        experiment_metrics.computed_at,
        check_slots.checked_up_to,
        check_slots.previous_check
    from experiment_metrics
    cross join check_slots
    where
        experiment_metrics.bucket_type = 'hourly'
        and experiment_metrics.metric_name = 'latency_p99'
        and experiment_metrics.computed_at <= check_slots.checked_up_to
        and experiment_metrics.bucket_started_at
        >= check_slots.previous_check - interval '2 hours' - interval '{{ quiet }} minutes'

),

newest_now as (

    select {{ distinct_on('experiment_id, variant_id') }} *
    from hourly_p99
    where bucket_started_at >= checked_up_to - interval '2 hours'
    {{ distinct_on_order(
        'experiment_id, variant_id',
        'experiment_id asc, variant_id asc, bucket_started_at desc, computed_at desc'
    ) }}

),

newest_at_previous_check as (

    select {{ distinct_on('experiment_id, variant_id') }}
        experiment_id,
        variant_id,
        latency_p99_ms
    from hourly_p99
    where
        computed_at <= previous_check
        and bucket_started_at >= previous_check - interval '2 hours'
    {{ distinct_on_order(
        'experiment_id, variant_id',
        'experiment_id asc, variant_id asc, bucket_started_at desc, computed_at desc'
    ) }}

),

incident_starts as (

    select
        newest_now.experiment_id,
        newest_now.variant_id,
        newest_now.experiment_name,
        newest_now.variant_name,
        newest_now.latency_p99_ms,
        {{ threshold_ms }} as threshold_ms,
        newest_now.generation_count,
        newest_now.bucket_started_at,
        newest_now.checked_up_to
    from newest_now
    left join newest_at_previous_check
        on
            newest_now.experiment_id = newest_at_previous_check.experiment_id
            and newest_now.variant_id = newest_at_previous_check.variant_id
    where
        newest_now.latency_p99_ms > {{ threshold_ms }}
        and coalesce(newest_at_previous_check.latency_p99_ms <= {{ threshold_ms }}, true)
        and not exists (
            select 1
            from hourly_p99 as earlier
            where
                earlier.experiment_id = newest_now.experiment_id
                and earlier.variant_id = newest_now.variant_id
                and earlier.latency_p99_ms > {{ threshold_ms }}
                and earlier.bucket_started_at < newest_now.bucket_started_at
                and earlier.bucket_started_at
                >= newest_now.bucket_started_at - interval '{{ quiet }} minutes'
        )

)

select * from incident_starts
order by latency_p99_ms desc, experiment_name asc, variant_name asc
