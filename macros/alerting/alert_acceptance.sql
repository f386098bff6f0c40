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
