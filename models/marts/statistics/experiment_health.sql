{#
    Sample-ratio-mismatch check per experiment: assigned units per variant against the configured
    allocation (chi-square goodness of fit), flagged below var('statistics_srm_threshold', 0.001).
#}

with

experiments as (

    select * from {{ ref('experiments') }}

),

variants as (

    select * from {{ ref('variants') }}

),

arm_unit_counts as (

    select
        experiment_id,
        variant_id,
        allocation,
        assigned_unit_count as unit_count

    from variants

),

sample_ratio_mismatch_tests as (

    {{ sample_ratio_mismatch_test('arm_unit_counts') }}

),

experiments_checked as (

    select
        experiments.experiment_id,
        experiments.experiment_name,
        experiments.status,
        experiments.variant_count,
        experiments.assigned_unit_count,
        sample_ratio_mismatch_tests.srm_degrees_of_freedom,
        sample_ratio_mismatch_tests.srm_chi_square,
        sample_ratio_mismatch_tests.srm_p_value,
        coalesce(
            sample_ratio_mismatch_tests.srm_p_value < {{ var('statistics_srm_threshold', 0.001) }},
            false
        ) as has_sample_ratio_mismatch

    from experiments
    left join sample_ratio_mismatch_tests
        on experiments.experiment_id = sample_ratio_mismatch_tests.experiment_id

)

select * from experiments_checked
