{#
    Variant Performance · Statistical Significance: every treatment against its control, per
    metric, over the window the dashboard filters select. The unit-day rows in the window are
    re-aggregated per unit FIRST, then the same macro as the mart variant_significance runs
    (significance_ctes), so with no filter this card equals variant_significance row for row
    (tests/python/statistics/test_statistics_end_to_end.py). Latency quantiles need the
    generations themselves: those of the unit-days in the window (the join carries the filters).
    Filters: experiment -> unit_daily_statistics.experiment_name, date range -> .metric_date.
#}
with

unit_daily_statistics as (

    select *
    from {{ ref('unit_daily_statistics') }}
    where
        true
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

latency_observations as (

    select
        generations.experiment_id,
        generations.variant_id,
        generations.unit_id,
        generations.latency_ms
    from {{ ref('generations') }} as generations
    inner join {{ ref('unit_daily_statistics') }}
        on
            generations.experiment_id = {{ ref('unit_daily_statistics') }}.experiment_id
            and generations.variant_id = {{ ref('unit_daily_statistics') }}.variant_id
            and generations.unit_id = {{ ref('unit_daily_statistics') }}.unit_id
            and generations.generated_date = {{ ref('unit_daily_statistics') }}.metric_date
    where
        generations.latency_ms is not null
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

unit_pre_period_statistics as (

    select * from {{ ref('unit_pre_period_statistics') }}

),

variants as (

    select * from {{ ref('variants') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

unit_window_totals as (

    {{ unit_window_totals('unit_daily_statistics', 'unit_pre_period_statistics') }}

),

{{ significance_ctes('unit_window_totals', 'variants', 'experiments', 'latency_observations') }},

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
