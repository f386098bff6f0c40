{#
    Significance of every treatment variant against its experiment's control, per metric, over
    each experiment's whole history. The computation is the macro significance_ctes, shared
    with the Metabase card analyses/dashboards/variant_performance/statistical_significance.sql.
#}

with

unit_daily_statistics as (

    select * from {{ ref('unit_daily_statistics') }}

),

variants as (

    select * from {{ ref('variants') }}

),

unit_window_totals as (

    {{ unit_window_totals('unit_daily_statistics') }}

),

{{ significance_ctes('unit_window_totals', 'variants') }},

variant_significance as (

    select
        experiment_id,
        control_variant_id,
        treatment_variant_id,
        experiment_name,
        metric_name,
        control_variant_name,
        treatment_variant_name,
        n_control_units,
        n_treatment_units,
        control_value,
        treatment_value,
        diff,
        relative_lift,
        standard_error,
        degrees_of_freedom,
        t_statistic,
        ci_lower,
        ci_upper,
        p_value,
        p_value_adjusted,
        p_value_benjamini_hochberg,
        p_value_sequential,
        srm_p_value,
        status,
        is_significant

    from significance_results

)

select * from variant_significance
