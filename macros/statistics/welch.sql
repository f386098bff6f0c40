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
            + {{ squared('(' ~ mean_numerator ~ ') / (' ~ mean_denominator ~ ')') }} * ({{ variance_denominator }})
        ) / {{ squared(mean_denominator) }}
    )
{%- endmacro %}

{# Welch-Satterthwaite degrees of freedom from the two variances of the arm means (s2 / n). #}
{% macro welch_degrees_of_freedom(
    variance_of_mean_treatment, units_treatment, variance_of_mean_control, units_control
) -%}
    (
        {{ squared('(' ~ variance_of_mean_treatment ~ ') + (' ~ variance_of_mean_control ~ ')') }}
        / (
            {{ squared(variance_of_mean_treatment) }} / (({{ units_treatment }}) - 1.0)
            + {{ squared(variance_of_mean_control) }} / (({{ units_control }}) - 1.0)
        )
    )
{%- endmacro %}

{# Two-sided Welch p-value of t = diff / se with Welch df (macros/statistics/distribution_functions.sql). #}
{% macro welch_p_value(diff, standard_error, degrees_of_freedom) -%}
    {{ stat_t_two_sided_p('(' ~ diff ~ ') / (' ~ standard_error ~ ')', degrees_of_freedom) }}
{%- endmacro %}

{# Half-width of the two-sided confidence interval: t_{1 - alpha/2, df} * se. #}
{% macro welch_confidence_half_width(standard_error, degrees_of_freedom, confidence_level=0.95) -%}
    ({{ stat_t_quantile(1 - (1 - confidence_level) / 2, degrees_of_freedom) }} * ({{ standard_error }}))
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
            * {{ squared(z) }} / 2.0
        ))
    )
{%- endmacro %}

{#
    The building blocks below are plain SQL expressions (+ - * /, sqrt, ln, exp, greatest,
    least, case): no PostgreSQL-only operator, so they port to other SQL engines as they are.
#}

{# rho^2 of the normal mixture boundary, tuned for tuning_units units at level alpha (§5). #}
{% macro sequential_rho_squared(tuning_units=5000, alpha=0.05) -%}
    ((-2.0 * ln({{ alpha }}) + ln(1.0 - 2.0 * ln({{ alpha }}))) / {{ tuning_units }})
{%- endmacro %}

{#
    Half-width of the anytime-valid confidence sequence for a difference with variance
    `variance_of_diff` (= vt + vc) after total_units = n_T + n_C units (Waudby-Smith et al.,
    arXiv:2103.06476 eq. 9; the boundary of sequential_p_value):
    sqrt(N v) * sqrt(2 (N rho^2 + 1) / (N rho)^2 * ln(sqrt(N rho^2 + 1) / alpha)).
#}
{% macro confidence_sequence_half_width(variance_of_diff, total_units, tuning_units=5000, alpha=0.05) -%}
    {%- set n_rho_squared = '((' ~ total_units ~ ') * ' ~ sequential_rho_squared(tuning_units, alpha) ~ ')' -%}
    (
        sqrt(({{ total_units }}) * ({{ variance_of_diff }}))
        * sqrt(
            2.0 * ({{ n_rho_squared }} + 1.0)
            / (({{ total_units }}) * {{ n_rho_squared }})
            * ln(sqrt({{ n_rho_squared }} + 1.0) / {{ alpha }})
        )
    )
{%- endmacro %}

{#
    One-sided anytime-valid p-value for the alternative "z > 0": the two-sided mixture p-value
    when z is positive, 1 otherwise. Valid because the two-sided martingale crossing its
    boundary is a superset of the one-sided crossing (Ville's inequality still bounds it by alpha).
#}
{% macro sequential_one_sided_p_value(z, total_units, tuning_units=5000, alpha=0.05) -%}
    case when ({{ z }}) > 0 then {{ sequential_p_value(z, total_units, tuning_units, alpha) }} else 1.0 end
{%- endmacro %}

{#
    One-sided p-value P(T > t) from the two-sided p-value of |t| (Student t or normal):
    p2 / 2 when t > 0, 1 - p2 / 2 otherwise.
#}
{% macro one_sided_p_value(t, two_sided_p) -%}
    case when ({{ t }}) > 0 then ({{ two_sided_p }}) / 2.0 else 1.0 - ({{ two_sided_p }}) / 2.0 end
{%- endmacro %}

{#
    Minimum detectable effect (absolute) of a two-sided test at level alpha with the given power:
    (z_{1 - alpha/2} + z_{power}) * se (STATISTICS.md §8.5).
#}
{% macro minimum_detectable_effect(standard_error, alpha=0.05, power=0.8) -%}
    (
        ({{ stat_normal_quantile('1.0 - ' ~ alpha ~ ' / 2.0') }} + {{ stat_normal_quantile(power) }})
        * ({{ standard_error }})
    )
{%- endmacro %}
