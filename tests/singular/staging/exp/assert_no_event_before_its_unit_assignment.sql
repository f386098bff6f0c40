-- Assertion: every event's unit was assigned, in that experiment and to that variant, no later
-- than the event occurred. Returns the events with no such assignment.
-- On an incremental build: the events received in the incremental test window
-- (macros/incremental/incremental_test_window.sql).
with

events as (

    select * from {{ ref('stg_exp__events') }}

    where {{ incremental_test_window('received_at', ref('stg_exp__events')) }}

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
