{#
    Significance of every treatment variant against its experiment's control, per metric, over
    each experiment's whole history. The computation is the macro significance_ctes, shared
    with the Metabase card analyses/dashboards/variant_performance/statistical_significance.sql.
    On Spark the one query resolves within the analyzer's default 100 iterations (README
    "Running on Apache Spark"; macros/statistics/distribution_functions.sql).
#}

with

unit_daily_statistics as (

    select * from {{ ref('unit_daily_statistics') }}

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

generations as (

    select * from {{ ref('generations') }}

),

latency_observations as (

    select
        experiment_id,
        variant_id,
        unit_id,
        latency_ms

    from generations

    where latency_ms is not null

),

unit_window_totals as (

    {{ unit_window_totals('unit_daily_statistics', 'unit_pre_period_statistics') }}

),

{{ significance_ctes('unit_window_totals', 'variants', 'experiments', 'latency_observations') }},

variant_significance as (

    select
        experiment_id,
        control_variant_id,
        treatment_variant_id,
        experiment_name,
        metric_name,
        metric_role,
        control_variant_name,
        treatment_variant_name,
        n_control_units,
        n_treatment_units,
        control_value,
        treatment_value,
        diff,
        diff_unadjusted,
        relative_lift,
        standard_error,
        standard_error_unadjusted,
        cuped_theta,
        variance_reduction,
        degrees_of_freedom,
        t_statistic,
        ci_lower,
        ci_upper,
        p_value,
        ci_lower_sequential,
        ci_upper_sequential,
        p_value_sequential,
        non_inferiority_margin,
        p_value_non_inferiority,
        p_value_non_inferiority_sequential,
        decision_basis,
        decision_basis_reason,
        decision_ci_lower,
        decision_ci_upper,
        p_value_decision,
        p_value_adjusted,
        p_value_benjamini_hochberg,
        family_size,
        srm_p_value,
        status,
        is_significant,
        verdict

    from significance_results

)

select * from variant_significance
