{#
    Alert "constraint violation" (critical), checked every 5 minutes. One message per incident:
    an incident of an experiment is a run of generations with a constraint respect score below
    1.0 (by received_at, the platform's clock) with no gap of alert_quiet_period_minutes (60)
    or more between them. A check returns one row per experiment whose incident STARTED in its
    window (the 5 minutes received up to its slot, macros/alerting/alert_clock.sql): the first
    violation, and how many the window holds. A burst of violations is one message; violations
    that come back after an hour of quiet are a new incident, so a new message.
    Reads the staging view over exp.events (real time, no dbt build needed); the scan is on
    received_at (indexed) over the window and the quiet period before it.
#}
{%- set step = '5 minutes' -%}
{%- set quiet = var('alert_quiet_period_minutes', 60) -%}
with

events as (

    select * from {{ ref('stg_exp__events') }}

),

variants as (

    select * from {{ ref('variants') }}

),

check_window as (

    select
        {{ alert_check_slot(step) }} as window_ends_at,
        {{ alert_check_slot(step) }} - interval '{{ step }}' as window_starts_after

),

recent_violations as (

    -- the violations of the window and of the quiet period before it
    select
        events.event_id,
        events.request_id,
        events.experiment_id,
        events.variant_id,
        events.policy_version_id,
        events.constraint_respect_score,
        events.occurred_at,
        events.received_at,
        check_window.window_starts_after,
        check_window.window_ends_at
    from events
    cross join check_window
    where
        events.event_type = 'generation'
        and events.constraint_respect_score < 1.0
        and events.received_at <= check_window.window_ends_at
        and events.received_at
        > check_window.window_starts_after - interval '{{ quiet }} minutes'

),

violations_in_window as (

    select
        *,
        count(*) over (partition by experiment_id) as violations_in_window
    from recent_violations
    where received_at > window_starts_after

),

incident_starts as (

    -- a violation with no earlier one of its experiment within the quiet period
    select violations_in_window.*
    from violations_in_window
    where not exists (
        select 1
        from recent_violations as earlier
        where
            earlier.experiment_id = violations_in_window.experiment_id
            and earlier.received_at
            >= violations_in_window.received_at - interval '{{ quiet }} minutes'
            and (
                earlier.received_at < violations_in_window.received_at
                or (
                    earlier.received_at = violations_in_window.received_at
                    and earlier.event_id < violations_in_window.event_id
                )
            )
    )

),

incident_starts_with_names as (

    select
        incident_starts.request_id,
        incident_starts.experiment_id,
        incident_starts.variant_id,
        incident_starts.policy_version_id,
        variants.experiment_name,
        variants.variant_name,
        incident_starts.constraint_respect_score,
        incident_starts.occurred_at,
        incident_starts.received_at,
        incident_starts.violations_in_window,
        incident_starts.window_ends_at as checked_up_to
    from incident_starts
    left join variants
        on incident_starts.variant_id = variants.variant_id

)

select * from incident_starts_with_names
order by received_at asc, request_id asc
