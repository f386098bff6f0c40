-- noqa: disable=LT02
{# (sqlfluff lints a macro file by rendering the macro bodies out of context; their SQL is linted
    where the model and the card use it.) #}
{#
    Power and time to decision (STATISTICS.md §8.5), shared by the model experiment_power and the
    Metabase card power_and_time_to_decision (any window), over:
    - significance_results: rows with the columns of variant_significance (the macro
      significance_ctes' output, or the model itself);
    - arm_units: per arm, unit_count, first_metric_date and last_metric_date (window_arm_units
      of macro window_statistics_ctes);
    - experiments: experiment_id, status, target_relative_effect.
    Renders CTEs (no leading `with`, no trailing comma) ending in `power_results`: one row per
    running (status 'active') experiment x treatment variant on its primary metric.

    mde = (z_{1 - alpha/2} + z_{0.8}) x standard_error with the units so far (the decision's
    standard error: CUPED-adjusted where applied). The standard error shrinks like 1 / sqrt(units),
    so the units needed for the target effect are units x (mde / target)^2; the daily unit rate
    is the two arms' units per day of data in the window (first to last day with data). All
    plain SQL apart from stat_normal_quantile.
#}
{% macro power_ctes(significance_results, arm_units, experiments) -%}
{%- set alpha = var('statistics_alpha', 0.05) -%}
{%- set power = var('statistics_power', 0.8) -%}
{#- the experiment's first and last day as window functions over one reference to arm_units, not
    a join with its own aggregate: Spark inlines every reference to a CTE, and arm_units is the
    window's whole unit count (README "Running on Apache Spark") -#}
power_arm_unit_rates as (

    select
        experiment_id,
        variant_id,
        unit_count
        / cast(
            {{ days_between('experiment_last_metric_date', 'experiment_first_metric_date') }} + 1
            as {{ sql_type('double precision') }}
        )
            as daily_unit_rate,
        experiment_last_metric_date as last_metric_date

    from (
        select
            experiment_id,
            variant_id,
            unit_count,
            min(first_metric_date) over (partition by experiment_id) as experiment_first_metric_date,
            max(last_metric_date) over (partition by experiment_id) as experiment_last_metric_date
        from {{ arm_units }}
    ) as arm_units

),

power_primary_comparisons as (

    select
        results.experiment_id,
        results.experiment_name,
        results.treatment_variant_id,
        results.treatment_variant_name,
        results.control_variant_name,
        results.metric_name,
        results.decision_basis,
        results.n_control_units + results.n_treatment_units as unit_count,
        control_rates.daily_unit_rate + treatment_rates.daily_unit_rate as daily_unit_rate,
        treatment_rates.last_metric_date as data_through_date,
        results.control_value,
        results.standard_error,
        {{ minimum_detectable_effect('results.standard_error', alpha, power) }} as mde_absolute,
        coalesce(
            {{ experiments }}.target_relative_effect, {{ var('statistics_target_relative_effect', 0.05) }}
        ) as target_relative_effect,
        results.status,
        results.verdict

    from {{ significance_results }} as results
    inner join {{ experiments }}
        on results.experiment_id = {{ experiments }}.experiment_id
    inner join power_arm_unit_rates as control_rates
        on
            results.experiment_id = control_rates.experiment_id
            and results.control_variant_id = control_rates.variant_id
    inner join power_arm_unit_rates as treatment_rates
        on
            results.experiment_id = treatment_rates.experiment_id
            and results.treatment_variant_id = treatment_rates.variant_id

    where
        results.metric_role = 'primary'
        and {{ experiments }}.status = 'active'

),

power_results as (

    select
        experiment_id,
        experiment_name,
        treatment_variant_id,
        treatment_variant_name,
        control_variant_name,
        metric_name,
        decision_basis,
        unit_count,
        daily_unit_rate,
        data_through_date,
        control_value,
        standard_error,
        mde_absolute,
        mde_absolute / nullif(abs(control_value), 0) as mde_relative,
        target_relative_effect,
        target_relative_effect * abs(control_value) as target_absolute_effect,
        case
            {#- cast: ceiling() of a double is a double on PostgreSQL, a bigint on Spark #}
            when standard_error > 0 and control_value <> 0
                then cast(ceiling(
                    unit_count * (mde_absolute / (target_relative_effect * abs(control_value)))
                    * (mde_absolute / (target_relative_effect * abs(control_value)))
                ) as {{ sql_type('double precision') }})
        end as units_needed,
        case
            when standard_error > 0 and control_value <> 0
                then mde_absolute <= target_relative_effect * abs(control_value)
        end as is_powered_for_target,
        case
            when standard_error > 0 and control_value <> 0 and mde_absolute <= target_relative_effect * abs(control_value)
                then 0.0
            when standard_error > 0 and control_value <> 0 and daily_unit_rate > 0
                then (
                    unit_count * (mde_absolute / (target_relative_effect * abs(control_value)))
                    * (mde_absolute / (target_relative_effect * abs(control_value)))
                    - unit_count
                ) / daily_unit_rate
        end as days_to_decision,
        status,
        verdict

    from power_primary_comparisons

)
{%- endmacro %}
