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
