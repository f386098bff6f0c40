-- noqa: disable=LT02
{# (LT02: sqlfluff cannot place the indentation of the CTEs inside the jinja branches.) #}
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
    - 'arm': per variant x slot, the unit rows summed (the arm's changes per slot; macro
      alert_acceptance_arm_rows, the alert's own definition of an arm row).
    Every variant of the log is kept (the alert picks the active ones). The semantics are the
    alert's, from the staging view (every event, quarantined ones included): a generation
    (request x variant x unit) counts from the slot that first sees its first generation event,
    its acceptance from the slot that sees both it and the request's first accepted/edited
    event. Slots are the UTC 6-hour grid (macro ceil_to_slot). The counts are integers held in
    float8: sums are exact (below 2^53) in any order, so state + tail equals the live
    computation exactly.

    Incremental on PostgreSQL (delete+insert on state_key: 'mark', 'unit:<variant>:<unit>',
    'arm:<variant>'): a build reads the events received after the previous mark up to its own
    (a range of the index on received_at), recounts the units they touch exactly as the alert
    corrects the state for its tail (macro alert_acceptance_tail_ctes), and writes those units'
    rows, the arm rows of their variants (previous rows plus the difference) and the new mark,
    all in one statement and one transaction: a check never pairs one build's mark with another
    build's sums. Cost: the new events and the rows of the units they touch, whatever the
    history's length. The whole state is computed again on a full refresh and when the events
    up to the previous mark are not the ones that build read (their count, kept on the mark row
    as built_event_count, changed: an event deleted, or stored later with an old received_at);
    a pre-hook then empties the table in the same transaction (macro
    alert_acceptance_state_rebuilds; the check is one index-only count). On Spark a table
    rebuilt whole by every build.
#}
{%- set rebuild = alert_acceptance_state_rebuilds() %}
{{
    config(
        materialized='incremental' if alert_acceptance_state_is_incremental() else 'table',
        incremental_strategy='delete+insert',
        unique_key='state_key',
        on_schema_change='fail',
        indexes=[
            {'columns': ['state_row', 'variant_id', 'unit_id']},
            {'columns': ['state_key']},
        ],
        pre_hook='{{ alert_acceptance_state_reset() }}',
        post_hook='{{ analyze_table(this) }}',
    )
}}
{%- set step = '6 hours' %}

with

events as {{ cte_not_materialized() }} (

    select * from {{ ref('stg_exp__events') }}

),

{% if rebuild %}

marks as (

    select
        coalesce(
            max(case when received_at <= now() then received_at end),
            cast('1900-01-01 00:00:00' as {{ sql_type('timestamptz') }})
        ) as received_through_at
    from events

),

mark_row as (

    select
        marks.received_through_at,
        (
            select count(*) from events
            where events.received_at <= marks.received_through_at
        ) as built_event_count
    from marks

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

{{ alert_acceptance_arm_rows('arm_rows', 'unit_rows') }}

{% else %}

previous_state as {{ cte_not_materialized() }} (

    select * from {{ this }}

),

previous_mark as (

    select
        received_through_at,
        built_event_count
    from previous_state
    where state_row = 'mark'

),

marks as (

    -- the new mark; the events up to it: the previous ones and those received since
    select
        new_mark.received_through_at,
        (select previous_mark.built_event_count from previous_mark) + (
            select count(*) from events
            where
                events.received_at > (select previous_mark.received_through_at from previous_mark)
                and events.received_at <= new_mark.received_through_at
        ) as built_event_count
    from (
        select
            coalesce(
                max(events.received_at),
                (select previous_mark.received_through_at from previous_mark)
            ) as received_through_at
        from events
        where
            events.received_at <= now()
            and events.received_at >= (select previous_mark.received_through_at from previous_mark)
    ) as new_mark

),

{{ alert_acceptance_tail_ctes(
    'events', 'previous_state',
    '(select previous_mark.received_through_at from previous_mark)',
    '(select marks.received_through_at from marks)',
    step,
    for_build=true,
) }},

unit_rows as (

    select * from tail_units_now

),

-- every slot of the variants touched: their previous sums plus the difference
{{ alert_acceptance_arm_rows('arm_rows', 'tail_arm_changes') }},

mark_row as (

    select * from marks

)

{% endif %}

select
    'mark' as state_key,
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
    mark_row.received_through_at,
    mark_row.built_event_count
from mark_row

union all

select
    concat('unit:', cast(variant_id as {{ sql_type('text') }}), ':', unit_id) as state_key,
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
    cast(null as {{ sql_type('timestamptz') }}) as received_through_at,
    cast(null as bigint) as built_event_count
from unit_rows

union all

select
    concat('arm:', cast(variant_id as {{ sql_type('text') }})) as state_key,
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
    cast(null as {{ sql_type('timestamptz') }}) as received_through_at,
    cast(null as bigint) as built_event_count
from arm_rows
