{#
    Variant Performance · Statistical Significance: every treatment against its control, per
    metric, over the window the dashboard filters select. The same macros as the mart
    variant_significance (window_statistics_ctes, then significance_ctes), so with no filter
    this card equals variant_significance row for row (tests/python/statistics/
    test_statistics_end_to_end.py). The window's per-unit sums come from arm_day_pair_statistics
    (the rows with both days in the window: constant time in the data's size; design in
    analyses/dashboards/README.md). Latency quantiles need the generations themselves: those of
    the window's days (per arm).
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

latency_observations as (

    select
        generations.experiment_id,
        generations.variant_id,
        generations.unit_id,
        generations.latency_ms
    from {{ ref('generations') }} as generations
    inner join window_days
        on
            generations.experiment_id = window_days.experiment_id
            and generations.variant_id = window_days.variant_id
            and generations.generated_date = window_days.metric_date
    where generations.latency_ms is not null

),

{{ significance_ctes(none, 'variants', 'experiments', 'latency_observations') }},

statistical_significance as (

    select
        experiment_name,
        treatment_variant_name,
        metric_name,
        metric_role,
        control_value,
        treatment_value,
        diff,
        p_value_adjusted,
        is_significant,
        verdict,
        status,
        relative_lift,
        decision_ci_lower,
        decision_ci_upper,
        decision_basis,
        decision_basis_reason,
        p_value_decision,
        p_value,
        p_value_sequential,
        family_size,
        control_variant_name,
        n_control_units,
        n_treatment_units,
        variance_reduction

    from significance_results

)

{# by experiment, treatment variant, role, metric; no trailing comment: the query may be wrapped #}
select * from statistical_significance
order by 1 asc, 2 asc, 4 asc, 3 asc
