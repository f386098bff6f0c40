{#
    Alert "acceptance below 0.9 x control" (ML team), checked every 6 hours. Fires on evidence,
    not on a raw gap: for each treatment variant of an active experiment, the one-sided
    hypothesis "treatment acceptance < (1 - 0.10) x control acceptance" is tested with an
    anytime-valid confidence sequence (STATISTICS.md sections 1, 5 and 8.1), so checking it
    every 6 hours for the experiment's whole life keeps the false-alarm rate below alpha (0.05).

    - Data: every generation of the experiment received up to the check slot, live from
      exp.events (no dbt build needed), cumulative since the experiment started (what makes the
      test sequential). A generation counts as accepted when its accepted/edited outcome was
      received by then; one still waiting counts as not accepted, in both arms alike.
    - Statistic: per arm, the acceptance rate sum(accepted) / sum(generations) over units, its
      variance by the delta method over units (users are randomized, their generations are
      correlated); d = rate_T - 0.9 x rate_C, Var(d) = Var_T + 0.81 Var_C, N = units in both arms.
    - Decision: the upper end of the confidence sequence for d (half-width of macro
      confidence_sequence_half_width, two-sided level alpha, tuned for
      alert_acceptance_tuning_units units) is below 0. No decision with fewer than 30 units in
      an arm, zero variance or a control rate of 0.
    - One message per treatment: the confidence sequence is valid at every instant at once, so
      its running intersection is too; the alert uses the intersection (the smallest upper end
      at any 6-hour check instant since the start), which never widens: the decision, once
      reached, is final and the alert sends exactly one message for the variant, at the check
      where it is first reached. The instants are the 6-hour slots of the UTC grid; each unit's
      running counts change only in slots where it had activity, so the sums per arm and slot
      are accumulated from those changes.
    - Built state + live tail (what keeps a check cheap at any history length): the changes per
      arm and slot do not depend on the check instant (a change has the slot that first sees
      it; a check at slot S sums the changes up to S), so each dbt build keeps them in the mart
      alert_acceptance_state, computed from the events received up to the build's mark, with
      the per-unit rows they are summed from. A check reads that state and the tail, the events
      received after the mark up to the check (a range of the index on received_at), and
      corrects the state for it: the requests the tail touches are read again whole (index on
      request_id: a late outcome pairs with its built generation, a late duplicate moves it),
      the units of their generations are recounted (their built rows, less what those requests
      counted at the build, plus what they count now) and each arm's changes get the
      difference. The counts are integers, so the answer is the same, row for row, as counting
      every event live at each check (tested against that definition:
      tests/python/dashboards/test_alert_low_acceptance_state.py). A build that is hours old
      only makes the tail longer. Not seen until the next build: an event deleted since the
      build, or stored after it with a received_at at or before its mark (a re-delivery keeping
      its original stamp).
    The measured false-alarm rate and detection delay (experiment_analytics.alerting.simulation)
    are in the alert's description in metabase/publisher.yml.
#}
{%- set step = '6 hours' -%}
{%- set ratio = '(1.0 - ' ~ var('alert_acceptance_relative_drop', 0.10) ~ ')' -%}
{%- set alpha = var('alert_acceptance_alpha', 0.05) -%}
{%- set tuning_units = var('alert_acceptance_tuning_units', 5000) -%}
with

events as {{ cte_not_materialized() }} (

    select * from {{ ref('stg_exp__events') }}

),

{# not materialized: each reference reads its own rows of the state by its index #}
state as {{ cte_not_materialized() }} (

    select * from {{ ref('alert_acceptance_state') }}

),

variants as (

    select * from {{ ref('variants') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

check_slots as (

    select
        {{ alert_check_slot(step) }} as checked_up_to,
        {{ alert_check_slot(step) }} - interval '{{ step }}' as previous_check

),

active_variants as (

    select
        variants.experiment_id,
        variants.variant_id,
        variants.experiment_name,
        variants.variant_name,
        variants.is_control
    from variants
    inner join experiments
        on variants.experiment_id = experiments.experiment_id
    where experiments.status = 'active'

),

built_mark as (

    select received_through_at
    from state
    where state_row = 'mark'

),

{{ alert_acceptance_tail_ctes(
    'events', 'state',
    '(select built_mark.received_through_at from built_mark)',
    '(select check_slots.checked_up_to from check_slots)',
    step,
) }},

-- what each slot up to the check adds to the sums over units of D, M, D^2, M^2 and M x D:
-- the built sums, corrected by the tail's units (their current counts less their built counts)
{{ alert_acceptance_arm_rows(
    'arm_slot_changes', 'tail_arm_changes',
    where=[
        'slot <= (select check_slots.checked_up_to from check_slots)',
        'variant_id in (select active_variants.variant_id from active_variants)',
    ],
) }},

experiment_starts as (

    select
        active_variants.experiment_id,
        min(arm_slot_changes.slot) as first_slot
    from arm_slot_changes
    inner join active_variants
        on arm_slot_changes.variant_id = active_variants.variant_id
    group by active_variants.experiment_id

),

instants as (

    -- every check slot of every active experiment since its first generation
    select
        active_variants.experiment_id,
        active_variants.variant_id,
        active_variants.is_control,
        instant.slot
    from active_variants
    inner join experiment_starts
        on active_variants.experiment_id = experiment_starts.experiment_id
    {{ lateral_series(
        'experiment_starts.first_slot',
        '(select check_slots.checked_up_to from check_slots)',
        step,
        'instant',
        'slot',
    ) }}

),

arm_sums as (

    select
        instants.experiment_id,
        instants.variant_id,
        instants.is_control,
        instants.slot,
        sum(coalesce(arm_slot_changes.added_units, 0)) over arm_history as n,
        sum(coalesce(arm_slot_changes.added_d, 0)) over arm_history as sum_d,
        sum(coalesce(arm_slot_changes.added_m, 0)) over arm_history as sum_m,
        sum(coalesce(arm_slot_changes.added_dd, 0)) over arm_history as sum_dd,
        sum(coalesce(arm_slot_changes.added_mm, 0)) over arm_history as sum_mm,
        sum(coalesce(arm_slot_changes.added_md, 0)) over arm_history as sum_md
    from instants
    left join arm_slot_changes
        on
            instants.variant_id = arm_slot_changes.variant_id
            and instants.slot = arm_slot_changes.slot
    window arm_history as (partition by instants.variant_id order by instants.slot)

),

arms as (

    -- per arm and instant: units, generations, rate sum(M) / sum(D) and its delta-method
    -- variance over units (STATISTICS.md section 1) from the sums
    select
        experiment_id,
        variant_id,
        is_control,
        slot,
        n as unit_count,
        sum_d as generation_count,
        sum_m / nullif(sum_d, 0) as acceptance_rate,
        case
            when n >= 2 then
                (
                    (sum_mm - {{ squared('sum_m') }} / n)
                    - 2.0 * (sum_m / sum_d) * (sum_md - sum_m * sum_d / n)
                    + {{ squared('sum_m / sum_d') }} * (sum_dd - {{ squared('sum_d') }} / n)
                ) / (n - 1) / {{ squared('sum_d / n') }} / n
        end as acceptance_rate_variance
    from arm_sums

),

comparisons as (

    select
        treatment.experiment_id,
        treatment.variant_id,
        treatment.slot,
        treatment.unit_count as treatment_unit_count,
        control.unit_count as control_unit_count,
        treatment.generation_count as treatment_generation_count,
        control.generation_count as control_generation_count,
        treatment.acceptance_rate as treatment_acceptance_rate,
        control.acceptance_rate as control_acceptance_rate,
        {{ ratio }} * control.acceptance_rate as alert_threshold,
        treatment.acceptance_rate - {{ ratio }} * control.acceptance_rate as difference,
        treatment.acceptance_rate_variance
        + {{ squared(ratio) }} * control.acceptance_rate_variance as difference_variance,
        treatment.unit_count + control.unit_count as total_units
    from arms as treatment
    inner join arms as control
        on
            treatment.experiment_id = control.experiment_id
            and treatment.slot = control.slot
            and control.is_control
    where
        not treatment.is_control
        and treatment.unit_count >= 30
        and control.unit_count >= 30
        and control.acceptance_rate > 0
        and treatment.acceptance_rate_variance > 0
        and control.acceptance_rate_variance > 0

),

upper_bounds as (

    select
        *,
        difference + {{ confidence_sequence_half_width(
            'difference_variance', 'total_units', tuning_units, alpha
        ) }} as difference_upper_bound
    from comparisons

),

intersections as (

    -- the running intersection of the confidence sequence: its smallest upper end so far
    select
        *,
        min(difference_upper_bound) over (
            partition by variant_id order by slot
        ) as running_upper_bound
    from upper_bounds

),

first_decisions as (

    select
        intersections.*,
        lag(intersections.running_upper_bound) over (
            partition by intersections.variant_id order by intersections.slot
        ) as previous_running_upper_bound
    from intersections

),

treatments_below_threshold as (

    select
        first_decisions.experiment_id,
        first_decisions.variant_id,
        active_variants.experiment_name,
        active_variants.variant_name as treatment_variant_name,
        first_decisions.treatment_unit_count,
        first_decisions.control_unit_count,
        first_decisions.treatment_generation_count,
        first_decisions.control_generation_count,
        first_decisions.treatment_acceptance_rate,
        first_decisions.control_acceptance_rate,
        first_decisions.alert_threshold,
        first_decisions.running_upper_bound as difference_upper_bound,
        first_decisions.slot as checked_up_to
    from first_decisions
    inner join active_variants
        on first_decisions.variant_id = active_variants.variant_id
    where
        first_decisions.slot = (select check_slots.checked_up_to from check_slots)
        and first_decisions.running_upper_bound < 0
        and coalesce(first_decisions.previous_running_upper_bound >= 0, true)

)

select * from treatments_below_threshold
order by experiment_name asc, treatment_variant_name asc
