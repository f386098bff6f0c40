{#
    The square of a number: `(x) ^ 2` on PostgreSQL; Spark's `^` is bitwise XOR, so power(x, 2)
    there. Every square in the statistics goes through this macro.
#}
{% macro squared(expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('squared', 'experiment_analytics')(expression)) }}
    {%- else -%}
        {{ return(default__squared(expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__squared(expression) -%}
    ({{ expression }}) ^ 2
{%- endmacro %}

{% macro spark__squared(expression) -%}
    power({{ expression }}, 2)
{%- endmacro %}

{#
    Whole days from `earlier` to `later` (two dates), an integer: `later - earlier` on
    PostgreSQL; on Spark a date minus a date is an interval, so datediff(later, earlier) there.
#}
{% macro days_between(later, earlier) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('days_between', 'experiment_analytics')(later, earlier)) }}
    {%- else -%}
        {{ return(default__days_between(later, earlier)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__days_between(later, earlier) -%}
    ({{ later }} - {{ earlier }})
{%- endmacro %}

{% macro spark__days_between(later, earlier) -%}
    datediff({{ later }}, {{ earlier }})
{%- endmacro %}
