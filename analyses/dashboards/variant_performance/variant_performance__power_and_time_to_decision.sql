{#
    Variant Performance · Power and Time to Decision: for each running experiment's primary
    metric and treatment, over the window the dashboard filters select, the minimum detectable
    effect at 80% power with the units so far and the days still needed to detect the
    experiment's target effect at the current daily unit rate (macro power_ctes over the same
    significance computation as the Statistical Significance card). Equals the model
    experiment_power for a window holding the whole history.
    The window's per-arm sums come from arm_day_pair_statistics (macro window_statistics_ctes).
    Filters: experiment -> arm_day_pair_statistics.experiment_name, date range -> .metric_date.
#}
with

arm_day_pair_statistics as (

    select *
    from {{ ref('arm_day_pair_statistics') }}
    where
        true
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

variants as (

    select * from {{ ref('variants') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

{{ window_statistics_ctes(
    'arm_day_pair_statistics',
    ref('arm_day_pair_statistics'),
    ref('arm_day_unit_entries'),
    ref('unit_daily_statistics'),
    ref('unit_pre_period_statistics'),
) }},

{{ significance_ctes(none, 'variants', 'experiments') }},

{{ power_ctes('significance_results', 'window_arm_units', 'experiments') }},

power_and_time_to_decision as (

    select
        experiment_name,
        treatment_variant_name,
        metric_name,
        decision_basis,
        unit_count,
        daily_unit_rate,
        control_value,
        mde_absolute,
        mde_relative,
        target_relative_effect,
        units_needed,
        days_to_decision,
        is_powered_for_target,
        verdict,
        status

    from power_results

)

select * from power_and_time_to_decision
order by 1 asc, 2 asc
