# ruff: noqa: E501 (compiled SQL, kept as dbt rendered it)
"""The low-acceptance alert as it was defined before its built state (test reference only).

The alert's SQL (analyses/metabase/alerts/alert_low_acceptance.sql) reads a built state plus a
live tail of the events received since the build; this is its former definition, which counted
every event of exp.events live at each check, compiled for PostgreSQL (main 377d794). The tests
compare the two at replayed check instants (test_alert_low_acceptance_state.py). Relations are
placeholders for str.format: {stg_exp__events}, {variants}, {experiments}.

Kept independent on purpose: this is the oracle. Its statistical tail (from `arm_sums` to the
final select: the delta-method variance, the 0.9 x control threshold, the confidence sequence,
its running intersection and the first-decision rule) stands again, word for word, at the end of
the alert (`duplicates` lists the pair). Decided (#11 review): it is NOT rendered from the alert's
SQL or macros (confidence_sequence_half_width, squared, alert_acceptance_*): an oracle built from
the code it checks would agree with any regression in that code, and the test could not fail.
The only shared thing is a name: both queries end with the CTEs `arm_sums` and
`treatments_below_threshold`, where the test cuts them (arm_sums() in the test).
"""

LIVE_DEFINITION = """
with

events as (

    select * from {stg_exp__events}

),

variants as (

    select * from {variants}

),

experiments as (

    select * from {experiments}

),

check_slots as (

    select
        date_bin(
        interval '6 hours',
        coalesce(
        nullif(current_setting('experiment_analytics.alert_checked_at', true), '')::timestamptz,
        now()
    ) - interval '0 minutes',
        timestamptz '2000-01-01 00:00:00+00'
    ) as checked_up_to,
        date_bin(
        interval '6 hours',
        coalesce(
        nullif(current_setting('experiment_analytics.alert_checked_at', true), '')::timestamptz,
        now()
    ) - interval '0 minutes',
        timestamptz '2000-01-01 00:00:00+00'
    ) - interval '6 hours' as previous_check

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

generations as (

    select
        events.request_id,
        events.variant_id,
        events.unit_id,
        min(events.received_at) as received_at
    from events
    inner join active_variants
        on events.variant_id = active_variants.variant_id
    where
        events.event_type = 'generation'
        and events.received_at <= (select check_slots.checked_up_to from check_slots)
    group by events.request_id, events.variant_id, events.unit_id

),

acceptances as (

    select
        request_id,
        min(received_at) as received_at
    from events
    where
        event_type in ('accepted', 'edited')
        and received_at <= (select check_slots.checked_up_to from check_slots)
    group by request_id

),

counted as (

    -- each generation counts from the check slot that first sees it (received_at rounded UP
    -- to the 6-hour grid); an acceptance from the slot that sees both it and its generation
    select
        generations.variant_id,
        generations.unit_id,
        (
        date_bin(
        interval '6 hours',
        (generations.received_at) - interval '1 microsecond',
        timestamptz '2000-01-01 00:00:00+00'
    )
        + interval '6 hours'
    ) as generation_slot,
        -- (greatest() skips a null: no acceptance, no slot)
        case when acceptances.request_id is not null then (
        date_bin(
        interval '6 hours',
        (greatest(generations.received_at, acceptances.received_at)) - interval '1 microsecond',
        timestamptz '2000-01-01 00:00:00+00'
    )
        + interval '6 hours'
    ) end as acceptance_slot
    from generations
    left join acceptances
        on generations.request_id = acceptances.request_id

),

unit_slot_changes as (

    select
        variant_id,
        unit_id,
        slot,
        sum(generations)::float8 as added_generations,
        sum(accepted)::float8 as added_accepted
    from (
        select
            variant_id,
            unit_id,
            generation_slot as slot,
            1 as generations,
            0 as accepted
        from counted
        union all
        select
            variant_id,
            unit_id,
            acceptance_slot as slot,
            0 as generations,
            1 as accepted
        from counted
        where acceptance_slot is not null
    ) as changes
    group by variant_id, unit_id, slot

),

unit_running_counts as (

    -- a unit's counts after and before each slot where they change
    select
        variant_id,
        unit_id,
        slot,
        sum(added_generations) over unit_history as generations_after,
        sum(added_accepted) over unit_history as accepted_after,
        (sum(added_generations) over unit_history) - added_generations as generations_before,
        (sum(added_accepted) over unit_history) - added_accepted as accepted_before
    from unit_slot_changes
    window unit_history as (partition by variant_id, unit_id order by slot)

),

arm_slot_changes as (

    -- what each slot adds to the sums over units of D, M, D^2, M^2 and M x D
    select
        variant_id,
        slot,
        count(*) filter (where generations_before = 0) as added_units,
        sum(generations_after - generations_before) as added_d,
        sum(accepted_after - accepted_before) as added_m,
        sum((generations_after) ^ 2 - (generations_before) ^ 2) as added_dd,
        sum((accepted_after) ^ 2 - (accepted_before) ^ 2) as added_mm,
        sum(accepted_after * generations_after - accepted_before * generations_before)
            as added_md
    from unit_running_counts
    group by variant_id, slot

),

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
    cross join lateral generate_series(
        experiment_starts.first_slot,
        (select check_slots.checked_up_to from check_slots),
        interval '6 hours'
    ) as instant (slot)

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
                    (sum_mm - (sum_m) ^ 2 / n)
                    - 2.0 * (sum_m / sum_d) * (sum_md - sum_m * sum_d / n)
                    + (sum_m / sum_d) ^ 2 * (sum_dd - (sum_d) ^ 2 / n)
                ) / (n - 1) / (sum_d / n) ^ 2 / n
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
        (1.0 - 0.1) * control.acceptance_rate as alert_threshold,
        treatment.acceptance_rate - (1.0 - 0.1) * control.acceptance_rate as difference,
        treatment.acceptance_rate_variance
        + ((1.0 - 0.1)) ^ 2 * control.acceptance_rate_variance as difference_variance,
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
        difference + (
        sqrt((total_units) * (difference_variance))
        * sqrt(
            2.0 * (((total_units) * ((-2.0 * ln(0.05) + ln(1.0 - 2.0 * ln(0.05))) / 5000)) + 1.0)
            / ((total_units) * ((total_units) * ((-2.0 * ln(0.05) + ln(1.0 - 2.0 * ln(0.05))) / 5000)))
            * ln(sqrt(((total_units) * ((-2.0 * ln(0.05) + ln(1.0 - 2.0 * ln(0.05))) / 5000)) + 1.0) / 0.05)
        )
    ) as difference_upper_bound
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
"""
