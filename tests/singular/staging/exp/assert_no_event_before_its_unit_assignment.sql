-- Assertion: every event's unit was assigned, in that experiment and to that variant, no later
-- than the event occurred. Returns the events with no such assignment.
-- Checks the events that reach the marts in the days this build rebuilds (the batch
-- int_events_checked; every event on --full-refresh).
with

events as (

    select * from {{ ref('int_events_checked') }}

    where
        quarantine_rule is null
        and is_in_rebuilt_days

),

assignments as (

    select * from {{ ref('stg_exp__assignments') }}

)

select
    events.event_id,
    events.experiment_id,
    events.variant_id,
    events.unit_id,
    events.occurred_at,
    assignments.variant_id as assigned_variant_id,
    assignments.assigned_at

from events
left join assignments
    on
        events.experiment_id = assignments.experiment_id
        and events.unit_id = assignments.unit_id

where
    assignments.unit_id is null
    or assignments.variant_id <> events.variant_id
    or assignments.assigned_at > events.occurred_at
