-- Assertion: no outcome event occurred before the generation event of its request (the
-- incremental models rely on it to bound the days they reread). Returns the offending outcomes.
-- On an incremental build: the outcomes received in the incremental test window
-- (macros/incremental/incremental_test_window.sql), compared with all generations.
with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
events as not materialized (

    select * from {{ ref('stg_exp__events') }}

),

generation_events as (

    select * from events

    where event_type = 'generation'

),

outcome_events as (

    select * from events

    where
        event_type <> 'generation'
        and {{ incremental_test_window('received_at', ref('stg_exp__events')) }}

)

select
    outcome_events.event_id,
    outcome_events.request_id,
    outcome_events.occurred_at,
    generation_events.occurred_at as generated_at

from outcome_events
inner join generation_events
    on outcome_events.request_id = generation_events.request_id

where outcome_events.occurred_at < generation_events.occurred_at
