{#
    Variant Performance · Statistical Significance: every treatment against its control, per
    metric, over the window the dashboard filters select. The unit-day rows in the window are
    re-aggregated per unit FIRST, then the same macro as the mart variant_significance runs
    (significance_ctes), so with no filter this card equals variant_significance row for row
    (tests/python/statistics/test_end_to_end.py).
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

variants as (

    select * from {{ ref('variants') }}

),

unit_window_totals as (

    {{ unit_window_totals('unit_daily_statistics') }}

),

{{ significance_ctes('unit_window_totals', 'variants') }},

statistical_significance as (

    select
        experiment_name,
        metric_name,
        treatment_variant_name,
        control_variant_name,
        n_control_units,
        n_treatment_units,
        control_value,
        treatment_value,
        diff,
        relative_lift,
        ci_lower,
        ci_upper,
        p_value,
        p_value_adjusted,
        p_value_sequential,
        is_significant,
        status

    from significance_results

)

{# by experiment, treatment variant, metric; no trailing comment: the query may be wrapped #}
select * from statistical_significance
order by 1 asc, 3 asc, 2 asc
