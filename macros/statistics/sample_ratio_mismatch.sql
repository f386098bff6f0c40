{#
    Chi-square goodness-of-fit test of unit counts per arm against the configured allocation
    (STATISTICS.md §3). `arm_unit_counts` is a relation with one row per variant: experiment_id,
    allocation, unit_count. Renders a select with one row per experiment that has units:
    experiment_id, srm_degrees_of_freedom, srm_chi_square, srm_p_value (null with a single arm).
    Arms with allocation 0 are left out (their expected count is 0).
#}
{% macro sample_ratio_mismatch_test(arm_unit_counts) -%}
    select
        chi_square_statistics.experiment_id,
        chi_square_statistics.srm_degrees_of_freedom,
        chi_square_statistics.srm_chi_square,
        case
            when chi_square_statistics.srm_degrees_of_freedom >= 1
                then {{ stat_chi_square_sf(
                    'chi_square_statistics.srm_chi_square', 'chi_square_statistics.srm_degrees_of_freedom'
                ) }}
        end as srm_p_value
    from (
        select
            expected_unit_counts.experiment_id,
            (count(*) - 1)::integer as srm_degrees_of_freedom,
            sum(
                {{ squared('expected_unit_counts.unit_count - expected_unit_counts.expected_unit_count') }}
                / expected_unit_counts.expected_unit_count
            ) as srm_chi_square
        from (
            select
                {{ arm_unit_counts }}.experiment_id,
                {{ arm_unit_counts }}.unit_count::{{ sql_type('float8') }} as unit_count,
                {{ arm_unit_counts }}.allocation::{{ sql_type('float8') }}
                / sum({{ arm_unit_counts }}.allocation::{{ sql_type('float8') }}) over (partition by {{ arm_unit_counts }}.experiment_id)
                * sum({{ arm_unit_counts }}.unit_count::{{ sql_type('float8') }}) over (
                    partition by {{ arm_unit_counts }}.experiment_id
                ) as expected_unit_count
            from {{ arm_unit_counts }}
            where {{ arm_unit_counts }}.allocation > 0
        ) as expected_unit_counts
        where expected_unit_counts.expected_unit_count > 0
        group by 1
    ) as chi_square_statistics
{%- endmacro %}
