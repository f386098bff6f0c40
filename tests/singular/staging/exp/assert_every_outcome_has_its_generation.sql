-- Assertion: every outcome event (accepted, edited, rejected) belongs to a request that has a
-- generation event in the same experiment, variant and unit. Returns the orphan outcomes.
-- On an incremental build: the outcomes received in the incremental test window
-- (macros/incremental/incremental_test_window.sql), looked up among all generations.
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
    outcome_events.event_type

from outcome_events
left join generation_events
    on
        outcome_events.request_id = generation_events.request_id
        and outcome_events.experiment_id = generation_events.experiment_id
        and outcome_events.variant_id = generation_events.variant_id
        and outcome_events.unit_id = generation_events.unit_id

where generation_events.event_id is null
