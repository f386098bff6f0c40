{#
    Variant Performance · Statistical Significance: every treatment against its control, per
    metric, over the window the dashboard filters select. The same macros as the mart
    variant_significance (window_statistics_ctes, then significance_ctes), so with no filter
    this card equals variant_significance row for row (tests/python/statistics/
    test_statistics_end_to_end.py). The window's per-unit sums come from arm_day_pair_statistics
    (the rows with both days in the window: constant time in the data's size; design in
    analyses/dashboards/README.md); the latency quantile test sums the window's day pairs of
    arm_day_pair_latency_buckets per arm and latency bucket (constant time too; README there,
    "The latency quantile test over any window").
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

window_latency_buckets as (

    {{ window_latency_bucket_sums(ref('arm_day_pair_latency_buckets'), 'window_days') }}

),

{{ significance_ctes(none, 'variants', 'experiments', latency_buckets='window_latency_buckets') }},

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
