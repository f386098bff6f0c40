{#
    Alert "no events in the last hour" (on-call), checked every 15 minutes. The condition holds
    at a check when exp.events received no event in the hour before it (the platform's clock,
    received_at: a stopped feed is what on-call must hear about). One message per incident: a
    row only at the check where the silence reaches an hour (it did not at the previous check
    slot), saying since when; none while it goes on, a new one if events resume and stop again.
    An exp.events that never held an event says nothing (there is no feed to lose yet).
    Reads the staging view over exp.events (real time: the Metabase reader is granted the view,
    not exp.events); the newest received_at is one lookup in the received_at index, because the
    view is flat (models/staging/exp/stg_exp__events.sql).
#}
{%- set step = '15 minutes' -%}
with

events as (

    select * from {{ ref('stg_exp__events') }}

),

check_slots as (

    select
        {{ alert_check_slot(step) }} as checked_up_to,
        {{ alert_check_slot(step) }} - interval '{{ step }}' as previous_check

),

newest_event as (

    select
        check_slots.checked_up_to,
        check_slots.previous_check,
        (
            select max(events.received_at)
            from events
            where events.received_at <= check_slots.checked_up_to
        ) as last_event_at
    from check_slots

),

silence_starts as (

    select
        'No events received since '
        || {{ utc_timestamp_text('last_event_at') }}
        || ' UTC' as message,
        round({{ seconds_between('checked_up_to', 'last_event_at') }}::{{ sql_type('numeric') }} / 60)
            as minutes_without_events,
        last_event_at,
        checked_up_to as checked_at
    from newest_event
    where
        last_event_at <= checked_up_to - interval '1 hour'
        and last_event_at > previous_check - interval '1 hour'

)

select * from silence_starts
order by last_event_at asc
