-- noqa: disable=LT02
{# (sqlfluff lints a macro file by rendering the macro bodies out of context; their SQL is linted
    where the models and the card use it.) #}
{#
    The whole significance computation, shared by `variant_significance` (full window) and the
    Metabase card statistical_significance (any window), so the two cannot drift.

    unit_window_totals(unit_daily_statistics): the select that re-aggregates unit-day rows to one
    row per experiment x variant x unit over whatever window the caller filtered (per unit FIRST:
    daily results are never combined).

    significance_ctes(unit_totals, variants): renders the CTEs (no leading `with`, no trailing
    comma) ending in one named `significance_results`. `unit_totals` is the per-unit relation
    above; `variants` has experiment_id, experiment_name, variant_id, variant_name, is_control,
    allocation. See macros/statistics/_statistics.yml and the variant_significance docs for the
    method, the family and the gates.
#}

{#
    The metrics: `name numerator_column denominator_column` of unit_daily_statistics, one per
    line. (Rendered text rather than return(): sqlfluff's templater renders return() as text.)
#}
{% macro statistics_metric_definitions() -%}
acceptance_rate accepted_count generation_count
edits_per_generation edit_count generation_count
tokens_per_request total_tokens token_measured_count
mean_latency_ms latency_ms_sum latency_measured_count
constraint_respect constraint_respect_score_sum constraint_respect_scored_count
alignment alignment_score_sum alignment_scored_count
diversity diversity_score_sum diversity_scored_count
{%- endmacro %}


{% macro unit_window_totals(unit_daily_statistics) -%}
    {%- set found = namespace(columns=[]) -%}
    {%- for line in statistics_metric_definitions().strip().split('\n') -%}
        {%- for column in line.split()[1:] if column not in found.columns -%}
            {%- set found.columns = found.columns + [column] -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set columns = found.columns -%}
    select
        {{ unit_daily_statistics }}.experiment_id,
        {{ unit_daily_statistics }}.variant_id,
        {{ unit_daily_statistics }}.unit_id,
        {%- for column in columns %}
        sum({{ unit_daily_statistics }}.{{ column }})::float8 as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ unit_daily_statistics }}
    group by 1, 2, 3
{%- endmacro %}

{% macro significance_ctes(unit_totals, variants) -%}
{%- set alpha = var('statistics_alpha', 0.05) -%}
significance_unit_metric_values as (

    select
        {{ unit_totals }}.experiment_id,
        {{ unit_totals }}.variant_id,
        {{ unit_totals }}.unit_id,
        metric_values.metric_name,
        metric_values.numerator_value,
        metric_values.denominator_value

    from {{ unit_totals }}
    cross join lateral (
        values
        {%- for line in statistics_metric_definitions().strip().split('\n') %}
            {%- set metric = line.split() %}
            (
                '{{ metric[0] }}',
                {{ unit_totals }}.{{ metric[1] }}::float8,
                {{ unit_totals }}.{{ metric[2] }}::float8
            ){{ ',' if not loop.last }}
        {%- endfor %}
    ) as metric_values (metric_name, numerator_value, denominator_value)

),

significance_arm_statistics as (

    select
        experiment_id,
        variant_id,
        metric_name,
        count(*) as unit_count,
        sum(numerator_value) as numerator_total,
        sum(denominator_value) as denominator_total,
        avg(numerator_value) as numerator_mean,
        avg(denominator_value) as denominator_mean,
        var_samp(numerator_value) as numerator_variance,
        var_samp(denominator_value) as denominator_variance,
        covar_samp(numerator_value, denominator_value) as numerator_denominator_covariance

    from significance_unit_metric_values

    group by 1, 2, 3

),

significance_arm_estimates as (

    select
        significance_arm_statistics.experiment_id,
        significance_arm_statistics.variant_id,
        significance_arm_statistics.metric_name,
        {{ variants }}.experiment_name,
        {{ variants }}.variant_name,
        significance_arm_statistics.unit_count,
        significance_arm_statistics.denominator_total,
        significance_arm_statistics.numerator_total
        / nullif(significance_arm_statistics.denominator_total, 0) as arm_value,
        {#- delta-method variance per unit; a result within rounding of zero (e.g. every unit's
            ratio identical) counts as zero variance -#}
        case
            when
                significance_arm_statistics.denominator_mean > 0
                and significance_arm_statistics.unit_count >= 2
                then
                    case
                        when
                            {{ ratio_metric_unit_variance(
                                'significance_arm_statistics.numerator_mean',
                                'significance_arm_statistics.denominator_mean',
                                'significance_arm_statistics.numerator_variance',
                                'significance_arm_statistics.denominator_variance',
                                'significance_arm_statistics.numerator_denominator_covariance',
                            ) }}
                            <= 1e-9 * (
                                significance_arm_statistics.numerator_variance
                                + (
                                    significance_arm_statistics.numerator_mean
                                    / significance_arm_statistics.denominator_mean
                                ) ^ 2 * significance_arm_statistics.denominator_variance
                            ) / significance_arm_statistics.denominator_mean ^ 2
                            then 0.0
                        else
                            {{ ratio_metric_unit_variance(
                                'significance_arm_statistics.numerator_mean',
                                'significance_arm_statistics.denominator_mean',
                                'significance_arm_statistics.numerator_variance',
                                'significance_arm_statistics.denominator_variance',
                                'significance_arm_statistics.numerator_denominator_covariance',
                            ) }}
                    end
        end as unit_variance,
        {{ variants }}.is_control

    from significance_arm_statistics
    inner join {{ variants }}
        on significance_arm_statistics.variant_id = {{ variants }}.variant_id

),

significance_arm_unit_counts as (

    select
        {{ variants }}.experiment_id,
        {{ variants }}.variant_id,
        {{ variants }}.allocation,
        count(distinct {{ unit_totals }}.unit_id) as unit_count

    from {{ variants }}
    left join {{ unit_totals }}
        on {{ variants }}.variant_id = {{ unit_totals }}.variant_id

    where {{ variants }}.experiment_id in (select {{ unit_totals }}.experiment_id from {{ unit_totals }})

    group by 1, 2, 3

),

significance_sample_ratio_mismatch as (

    {{ sample_ratio_mismatch_test('significance_arm_unit_counts') }}

),

significance_comparisons as (

    select
        treatment_arms.experiment_id,
        treatment_arms.experiment_name,
        treatment_arms.metric_name,
        control_arms.variant_id as control_variant_id,
        control_arms.variant_name as control_variant_name,
        treatment_arms.variant_id as treatment_variant_id,
        treatment_arms.variant_name as treatment_variant_name,
        control_arms.unit_count as n_control_units,
        treatment_arms.unit_count as n_treatment_units,
        control_arms.arm_value as control_value,
        treatment_arms.arm_value as treatment_value,
        treatment_arms.arm_value - control_arms.arm_value as diff,
        (treatment_arms.arm_value - control_arms.arm_value) / nullif(abs(control_arms.arm_value), 0) as relative_lift,
        control_arms.unit_variance as control_unit_variance,
        treatment_arms.unit_variance as treatment_unit_variance,
        control_arms.unit_variance / control_arms.unit_count as control_variance_of_mean,
        treatment_arms.unit_variance / treatment_arms.unit_count as treatment_variance_of_mean,
        control_arms.denominator_total as control_denominator_total,
        treatment_arms.denominator_total as treatment_denominator_total,
        significance_sample_ratio_mismatch.srm_p_value

    from significance_arm_estimates as treatment_arms
    inner join significance_arm_estimates as control_arms
        on
            treatment_arms.experiment_id = control_arms.experiment_id
            and treatment_arms.metric_name = control_arms.metric_name
            and control_arms.is_control
    left join significance_sample_ratio_mismatch
        on treatment_arms.experiment_id = significance_sample_ratio_mismatch.experiment_id

    where not treatment_arms.is_control

),

significance_welch_tests as (

    select
        *,
        sqrt(treatment_variance_of_mean + control_variance_of_mean) as standard_error,
        case
            when treatment_variance_of_mean + control_variance_of_mean > 0
                then {{ welch_degrees_of_freedom(
                    'treatment_variance_of_mean',
                    'n_treatment_units',
                    'control_variance_of_mean',
                    'n_control_units',
                ) }}
        end as degrees_of_freedom

    from significance_comparisons

),

significance_p_values as (

    select
        *,
        diff / nullif(standard_error, 0) as t_statistic,
        diff - {{ welch_confidence_half_width('standard_error', 'degrees_of_freedom') }} as ci_lower,
        diff + {{ welch_confidence_half_width('standard_error', 'degrees_of_freedom') }} as ci_upper,
        {{ welch_p_value('diff', 'nullif(standard_error, 0)', 'degrees_of_freedom') }} as p_value,
        case
            when degrees_of_freedom is not null
                then {{ sequential_p_value(
                    'diff / standard_error',
                    'n_treatment_units + n_control_units',
                    var('statistics_sequential_tuning_units', 5000),
                    alpha,
                ) }}
        end as p_value_sequential

    from significance_welch_tests

),

significance_p_values_adjusted as (

    {{ adjusted_p_values('significance_p_values', 'p_value', ['experiment_id']) }}

),

significance_gates as (

    select
        experiment_id,
        experiment_name,
        metric_name,
        control_variant_id,
        control_variant_name,
        treatment_variant_id,
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
        p_value_holm as p_value_adjusted,
        p_value_benjamini_hochberg,
        p_value_sequential,
        srm_p_value,
        case
            when srm_p_value < {{ var('statistics_srm_threshold', 0.001) }} then 'srm'
            when least(n_control_units, n_treatment_units) < {{ var('statistics_minimum_units', 30) }}
                then 'too_few_units'
            when control_denominator_total = 0 or treatment_denominator_total = 0 then 'no_data'
            when control_unit_variance = 0 or treatment_unit_variance = 0 then 'zero_variance'
            when control_value = 0 then 'control_mean_zero'
            else 'ok'
        end as status

    from significance_p_values_adjusted

),

significance_results as (

    select
        *,
        case when status = 'ok' then p_value_adjusted < {{ alpha }} end as is_significant

    from significance_gates

)
{%- endmacro %}
