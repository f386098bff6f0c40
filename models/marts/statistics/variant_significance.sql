{#
    Significance of every treatment variant against its experiment's control, per metric, over
    each experiment's whole history. The same macros as the Metabase card
    analyses/dashboards/variant_performance/statistical_significance.sql over every day
    (window_statistics_ctes in its whole-history mode, then significance_ctes), so the card with
    no filter equals this mart row for row. Both read the card tables (arm_day_pair_statistics,
    arm_day_unit_entries, arm_day_pair_latency_buckets), never the unit-days or the generations:
    the build costs O(arms x days^2 x latency buckets), not O(events) (issue #11). The latency
    quantiles (p50/p95/p99) come from the mergeable latency histogram, each within one bucket
    (1.005 %) of the exact percentile_cont (analyses/dashboards/README.md "The latency quantile
    test over any window").
    On Spark the one query resolves within the analyzer's default 100 iterations (README
    "Running on Apache Spark"; macros/statistics/distribution_functions.sql).
#}

with

arm_day_pair_statistics as (

    select * from {{ ref('arm_day_pair_statistics') }}

),

variants as (

    select * from {{ ref('variants') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

{{ window_statistics_ctes('arm_day_pair_statistics', ref('arm_day_pair_statistics'), ref('arm_day_unit_entries')) }},

window_latency_buckets as (

    {{ window_latency_bucket_sums(ref('arm_day_pair_latency_buckets')) }}

),

{{ significance_ctes(none, 'variants', 'experiments', latency_buckets='window_latency_buckets') }},

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
