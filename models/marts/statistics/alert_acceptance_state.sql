{#
    The built state of the low-acceptance alert (analyses/metabase/alerts/alert_low_acceptance.sql):
    what the alert's sequential test needs from the event log up to this build, so the alert
    reads this small table plus the events received since (its "tail") instead of every event.

    Rows of three kinds (state_row):
    - 'mark': one row, what this build read: every event with received_at <= received_through_at
      ("the built events"), the newest received_at not in the future at build time. Every
      event received after it is the alert's tail (a range of the index on received_at).
    - 'unit': per variant x unit x 6-hour check slot where the unit's running counts change:
      added_generations / added_accepted (the change), generations_after / accepted_after (the
      counts after it) and the unit's contribution to the arm's sums of D, M, D^2, M^2 and M x D
      (added_*; added_units = 1 in the unit's first slot). The alert recomputes the units its
      tail touches from these rows.
    - 'arm': per variant x slot, the unit rows summed (the arm's changes per slot).
    Every variant of the log is kept (the alert picks the active ones). The semantics are the
    alert's, from the staging view (every event, quarantined ones included): a generation
    (request x variant x unit) counts from the slot that first sees its first generation event,
    its acceptance from the slot that sees both it and the request's first accepted/edited
    event. Slots are the UTC 6-hour grid (macro ceil_to_slot). The counts are integers held in
    float8: sums are exact (below 2^53) in any order, so state + tail equals the live
    computation exactly.

    One table, rebuilt by every build (both engines): the three kinds are written by one
    statement, so the alert can never read a mark from one build with sums from another.
#}
{{
    config(
        materialized='table',
        indexes=[{'columns': ['state_row', 'variant_id', 'unit_id']}],
        post_hook='{{ analyze_table(this) }}',
    )
}}
{%- set step = '6 hours' %}

with

events as {{ cte_not_materialized() }} (

    select * from {{ ref('stg_exp__events') }}

),

marks as (

    select
        coalesce(
            max(case when received_at <= now() then received_at end),
            cast('1900-01-01 00:00:00' as {{ sql_type('timestamptz') }})
        ) as received_through_at
    from events

),

built_events as (

    select
        events.request_id,
        events.variant_id,
        events.unit_id,
        events.event_type,
        events.received_at
    from events
    cross join marks
    where
        events.event_type in ('generation', 'accepted', 'edited')
        and events.received_at <= marks.received_through_at

),

{{ alert_acceptance_key_changes('built_changes', 'built_events', step) }},

{{ alert_acceptance_unit_rows('unit_rows', 'built_changes') }},

arm_rows as (

    select
        variant_id,
        slot,
        sum(added_units) as added_units,
        sum(added_d) as added_d,
        sum(added_m) as added_m,
        sum(added_dd) as added_dd,
        sum(added_mm) as added_mm,
        sum(added_md) as added_md
    from unit_rows
    group by variant_id, slot

)

select
    'mark' as state_row,
    cast(null as integer) as variant_id,
    cast(null as {{ sql_type('text') }}) as unit_id,
    cast(null as {{ sql_type('timestamptz') }}) as slot,
    cast(null as {{ sql_type('float8') }}) as added_generations,
    cast(null as {{ sql_type('float8') }}) as added_accepted,
    cast(null as {{ sql_type('float8') }}) as generations_after,
    cast(null as {{ sql_type('float8') }}) as accepted_after,
    cast(null as bigint) as added_units,
    cast(null as {{ sql_type('float8') }}) as added_d,
    cast(null as {{ sql_type('float8') }}) as added_m,
    cast(null as {{ sql_type('float8') }}) as added_dd,
    cast(null as {{ sql_type('float8') }}) as added_mm,
    cast(null as {{ sql_type('float8') }}) as added_md,
    marks.received_through_at
from marks

union all

select
    'unit' as state_row,
    variant_id,
    unit_id,
    slot,
    added_generations,
    added_accepted,
    generations_after,
    accepted_after,
    added_units,
    added_d,
    added_m,
    added_dd,
    added_mm,
    added_md,
    cast(null as {{ sql_type('timestamptz') }}) as received_through_at
from unit_rows

union all

select
    'arm' as state_row,
    variant_id,
    cast(null as {{ sql_type('text') }}) as unit_id,
    slot,
    cast(null as {{ sql_type('float8') }}) as added_generations,
    cast(null as {{ sql_type('float8') }}) as added_accepted,
    cast(null as {{ sql_type('float8') }}) as generations_after,
    cast(null as {{ sql_type('float8') }}) as accepted_after,
    added_units,
    added_d,
    added_m,
    added_dd,
    added_mm,
    added_md,
    cast(null as {{ sql_type('timestamptz') }}) as received_through_at
from arm_rows
