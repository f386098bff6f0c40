-- noqa: disable=LT02
{# (LT02: sqlfluff cannot place the indentation of a macro's CTE fragments and jinja branches.) #}
{#
    The low-acceptance alert's counting, shared by its built state (models/marts/statistics/
    alert_acceptance_state.sql) and its live tail (analyses/metabase/alerts/alert_low_acceptance.sql).

    alert_acceptance_key_changes(name, events, step, sign): CTEs `<name>_generations`,
        `<name>_acceptances` and `<name>` from the CTE `events` (request_id, variant_id, unit_id,
        event_type, received_at; generation / accepted / edited rows): one row per change a
        generation (request x variant x unit) makes to its unit's counts, (variant_id, unit_id,
        slot, generations, accepted) with 1 (or `sign`) in the column it changes. A generation
        counts from the check slot that first sees its first generation event (received_at
        rounded UP to the grid), its acceptance from the slot that sees both it and the
        request's first accepted/edited event. Slots do not depend on the check instant: a check
        at slot S sees exactly the changes with slot <= S.
    alert_acceptance_unit_rows(name, changes): the CTE `<name>` from a CTE of such changes: per
        variant x unit x slot where the unit's counts change, the change, the counts after it and
        the unit's contribution to the arm's sums (added_units: 1 in its first slot; added_d,
        added_m, added_dd, added_mm, added_md: what the slot adds to D, M, D^2, M^2, M x D).
    alert_acceptance_tail_ctes(events, state, mark, through, step, for_build=false): the CTEs
        that bring a state (alert_acceptance_state's rows, CTE `state`) up to date with the
        events received after `mark` up to `through` (SQL expressions): the requests of those
        events are read again whole (by request_id), their generations' units recounted from
        their rows in the state, less what those requests counted up to the mark, plus what they
        count now. Ends with `tail_units_built` (the units' rows in the state), `tail_units_now`
        (their rows now, as alert_acceptance_unit_rows) and `tail_arm_changes` (the state's arm
        rows, plus the tail's units now, less their built rows: summed per variant x slot by
        alert_acceptance_arm_rows, the arms corrected for the tail). for_build: the tail of a
        build of the state (the model), not of a check (the alert): the requests' events are
        read only up to `through` (a check reads them all: an event after the check has a later
        slot), and the state's arm rows only of the variants the tail touches (a build rewrites
        only those; a check reads every arm).
    alert_acceptance_arm_rows(name, changes, where=[]): the CTE `<name>`: per variant x slot,
        the sums of a CTE of unit rows or arm changes (added_units, added_d, added_m, added_dd,
        added_mm, added_md; signed), of its rows matching every condition in the list `where`
        (SQL); a slot where the changes cancel out (sums of D and M both 0) holds no row. The one
        definition of an arm row, for the state's build (from its unit rows, or from
        `tail_arm_changes`) and for the alert's check.
#}
{% macro alert_acceptance_key_changes(name, events, step, sign='1') -%}
{{ name }}_generations as (

    select
        request_id,
        variant_id,
        unit_id,
        min(received_at) as received_at
    from {{ events }}
    where event_type = 'generation'
    group by request_id, variant_id, unit_id

),

{{ name }}_acceptances as (

    select
        request_id,
        min(received_at) as received_at
    from {{ events }}
    where event_type in ('accepted', 'edited')
    group by request_id

),

{{ name }}_counted as (

    select
        generations.variant_id,
        generations.unit_id,
        {{ ceil_to_slot('generations.received_at', step) }} as generation_slot,
        -- (greatest() skips a null: no acceptance, no slot)
        case when acceptances.request_id is not null then {{ ceil_to_slot(
            'greatest(generations.received_at, acceptances.received_at)', step
        ) }} end as acceptance_slot
    from {{ name }}_generations as generations
    left join {{ name }}_acceptances as acceptances
        on generations.request_id = acceptances.request_id

),

{{ name }} as (

    select
        variant_id,
        unit_id,
        generation_slot as slot,
        {{ sign }} as generations,
        0 as accepted
    from {{ name }}_counted
    union all
    select
        variant_id,
        unit_id,
        acceptance_slot as slot,
        0 as generations,
        {{ sign }} as accepted
    from {{ name }}_counted
    where acceptance_slot is not null

)
{%- endmacro %}


{% macro alert_acceptance_unit_rows(name, changes) -%}
{{ name }}_slot_changes as (

    select
        variant_id,
        unit_id,
        slot,
        sum(generations)::{{ sql_type('float8') }} as added_generations,
        sum(accepted)::{{ sql_type('float8') }} as added_accepted
    from {{ changes }}
    group by variant_id, unit_id, slot

),

{{ name }}_running_counts as (

    -- a unit's counts after and before each slot where they change
    select
        variant_id,
        unit_id,
        slot,
        added_generations,
        added_accepted,
        sum(added_generations) over unit_history as generations_after,
        sum(added_accepted) over unit_history as accepted_after,
        (sum(added_generations) over unit_history) - added_generations as generations_before,
        (sum(added_accepted) over unit_history) - added_accepted as accepted_before
    from {{ name }}_slot_changes
    {#- a change undone (a tail's correction of a built generation) leaves no slot #}
    where added_generations <> 0 or added_accepted <> 0
    window unit_history as (partition by variant_id, unit_id order by slot)

),

{{ name }} as (

    select
        variant_id,
        unit_id,
        slot,
        added_generations,
        added_accepted,
        generations_after,
        accepted_after,
        case when generations_before = 0 then 1 else 0 end as added_units,
        generations_after - generations_before as added_d,
        accepted_after - accepted_before as added_m,
        {{ squared('generations_after') }} - {{ squared('generations_before') }} as added_dd,
        {{ squared('accepted_after') }} - {{ squared('accepted_before') }} as added_mm,
        accepted_after * generations_after - accepted_before * generations_before as added_md
    from {{ name }}_running_counts

)
{%- endmacro %}


{% macro alert_acceptance_tail_ctes(events, state, mark, through, step, for_build=false) -%}
tail_requests as (

    -- the requests of the events received after the mark up to `through` (an event received
    -- later changes only later slots); a range of the index on received_at
    select distinct events.request_id
    from {{ events }} as events
    where
        events.event_type in ('generation', 'accepted', 'edited')
        and events.received_at > {{ mark }}
        and events.received_at <= {{ through }}

),

request_events as (

    -- every event of those requests, built or not (a build reads none after `through`)
    select
        events.request_id,
        events.variant_id,
        events.unit_id,
        events.event_type,
        events.received_at
    from {{ events }} as events
    where
        events.event_type in ('generation', 'accepted', 'edited')
        and events.request_id {{ in_few_values('select tail_requests.request_id from tail_requests') }}
        {%- if for_build %}
        and events.received_at <= {{ through }}
        {%- endif %}

),

request_events_built as (

    select * from request_events
    where received_at <= {{ mark }}

),

{{ alert_acceptance_key_changes('request_changes_now', 'request_events', step) }},

{{ alert_acceptance_key_changes('request_changes_built', 'request_events_built', step, '-1') }},

tail_units as (

    select distinct
        variant_id,
        unit_id
    from request_changes_now_generations

),

tail_units_built as (

    select state.*
    from {{ state }} as state
    inner join tail_units
        on
            state.variant_id = tail_units.variant_id
            and state.unit_id = tail_units.unit_id
    where state.state_row = 'unit'

),

tail_unit_changes as (

    -- the tail's units: their built changes, less what the tail's requests counted at the
    -- build, plus what they count at the check
    select
        variant_id,
        unit_id,
        slot,
        added_generations as generations,
        added_accepted as accepted
    from tail_units_built
    union all
    select * from request_changes_built
    union all
    select * from request_changes_now

),

{{ alert_acceptance_unit_rows('tail_units_now', 'tail_unit_changes') }},

tail_arm_changes as (

    -- the state's arm rows corrected by the tail's units: their current rows less their built rows
    select
        variant_id,
        slot,
        added_units,
        added_d,
        added_m,
        added_dd,
        added_mm,
        added_md
    from {{ state }}
    where
        state_row = 'arm'
        {%- if for_build %}
        and variant_id in (select tail_units_now.variant_id from tail_units_now)
        {%- endif %}
    union all
    select
        variant_id,
        slot,
        added_units,
        added_d,
        added_m,
        added_dd,
        added_mm,
        added_md
    from tail_units_now
    union all
    select
        variant_id,
        slot,
        -added_units as added_units,
        -added_d as added_d,
        -added_m as added_m,
        -added_dd as added_dd,
        -added_mm as added_mm,
        -added_md as added_md
    from tail_units_built

)
{%- endmacro %}


{% macro alert_acceptance_arm_rows(name, changes, where=[]) -%}
{{ name }} as (

    select
        variant_id,
        slot,
        cast(sum(added_units) as bigint) as added_units,
        sum(added_d) as added_d,
        sum(added_m) as added_m,
        sum(added_dd) as added_dd,
        sum(added_mm) as added_mm,
        sum(added_md) as added_md
    from {{ changes }}
    {%- if where %}
    where
        {{ where | join('\n        and ') }}
    {%- endif %}
    group by variant_id, slot
    -- a slot where every change cancels out holds none
    having sum(added_d) <> 0 or sum(added_m) <> 0

)
{%- endmacro %}


{#
    alert_acceptance_state_is_incremental(): true where alert_acceptance_state is incremental
    (PostgreSQL); on Spark a table rebuilt whole by every build. The one engine check of the
    model's config and of the two macros below. (`adapter is defined` guard: sqlfluff's
    templater has no adapter.)
    alert_acceptance_state_rebuilds(): true when this build of alert_acceptance_state computes the
    whole state: at parse time, on Spark, on a first build or a full refresh, and when the events
    received up to the previous mark are not those that build read (their count now differs from
    the mark row's built_event_count: an event deleted, or stored later with an old received_at),
    or the table holds no mark. Logs why. One index-only count of the events up to the mark.
    alert_acceptance_state_reset(): the model's pre-hook: empties the table (in the build's
    transaction) when the whole state is computed again, so no row of a vanished unit stays.
#}
{% macro alert_acceptance_state_is_incremental() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.type() != 'spark') }}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}


{% macro alert_acceptance_state_rebuilds() %}
    {%- if not execute or not alert_acceptance_state_is_incremental() or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set compared -%}
        select
            mark.built_event_count,
            (
                select count(*) from {{ ref('stg_exp__events') }} as events
                where events.received_at <= mark.received_through_at
            ) as event_count
        from {{ this }} as mark
        where mark.state_row = 'mark'
    {%- endset -%}
    {%- set rows = run_query(compared).rows -%}
    {%- if rows | length != 1 -%}
        {%- do log(this.identifier ~ ': the whole state computed again (no mark row)', info=true) -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if rows[0][0] != rows[0][1] -%}
        {%- do log(this.identifier ~ ': the whole state computed again (events up to the previous'
            ~ ' mark: ' ~ rows[0][0] ~ ' when built, ' ~ rows[0][1] ~ ' now)', info=true) -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(false) }}
{% endmacro %}


{% macro alert_acceptance_state_reset() %}
    {%- if execute and alert_acceptance_state_is_incremental() and is_incremental()
        and alert_acceptance_state_rebuilds() -%}
        delete from {{ this }}
    {%- endif -%}
{% endmacro %}
