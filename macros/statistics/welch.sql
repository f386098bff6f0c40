{#
    Expression macros for the Welch comparison of ratio metrics (STATISTICS.md §1-2 and §5).
    Each renders a float8 SQL expression; arguments are SQL expressions.
#}

{# Delta-method variance of one unit's contribution to a ratio metric sum(M) / sum(D). #}
{% macro ratio_metric_unit_variance(
    mean_numerator, mean_denominator, variance_numerator, variance_denominator, covariance
) -%}
    (
        (
            ({{ variance_numerator }})
            - 2.0 * (({{ mean_numerator }}) / ({{ mean_denominator }})) * ({{ covariance }})
            + (({{ mean_numerator }}) / ({{ mean_denominator }})) ^ 2 * ({{ variance_denominator }})
        ) / ({{ mean_denominator }}) ^ 2
    )
{%- endmacro %}

{# Welch-Satterthwaite degrees of freedom from the two variances of the arm means (s2 / n). #}
{% macro welch_degrees_of_freedom(
    variance_of_mean_treatment, units_treatment, variance_of_mean_control, units_control
) -%}
    (
        (({{ variance_of_mean_treatment }}) + ({{ variance_of_mean_control }})) ^ 2
        / (
            ({{ variance_of_mean_treatment }}) ^ 2 / (({{ units_treatment }}) - 1.0)
            + ({{ variance_of_mean_control }}) ^ 2 / (({{ units_control }}) - 1.0)
        )
    )
{%- endmacro %}

{# Two-sided Welch p-value of t = diff / se with Welch df (functions from create_statistics_functions). #}
{% macro welch_p_value(diff, standard_error, degrees_of_freedom) -%}
    {{ statistics_schema() }}.stat_t_two_sided_p(({{ diff }}) / ({{ standard_error }}), {{ degrees_of_freedom }})
{%- endmacro %}

{# Half-width of the two-sided confidence interval: t_{1 - alpha/2, df} * se. #}
{% macro welch_confidence_half_width(standard_error, degrees_of_freedom, confidence_level=0.95) -%}
    ({{ statistics_schema() }}.stat_t_quantile({{ 1 - (1 - confidence_level) / 2 }}, {{ degrees_of_freedom }}) * ({{ standard_error }}))
{%- endmacro %}

{#
    Anytime-valid (sequential) p-value for z = diff / se after total_units units (Waudby-Smith et
    al. 2021, the mixture boundary GrowthBook uses), tuned for tuning_units units.
#}
{% macro sequential_p_value(z, total_units, tuning_units=5000, alpha=0.05) -%}
    {%- set rho_squared = '((-2.0 * ln(' ~ alpha ~ ') + ln(1.0 - 2.0 * ln(' ~ alpha ~ '))) / ' ~ tuning_units ~ ')' -%}
    least(
        1.0,
        sqrt(1.0 + ({{ total_units }}) * {{ rho_squared }})
        * exp(greatest(
            -745.0,
            -((({{ total_units }}) * {{ rho_squared }}) / (1.0 + ({{ total_units }}) * {{ rho_squared }}))
            * ({{ z }}) ^ 2 / 2.0
        ))
    )
{%- endmacro %}
