{#
    A number as money text with thousands separators and two decimals ("1,234.50"), without
    padding. Renders the PostgreSQL text unchanged on PostgreSQL.
#}
{% macro money_text(number_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('money_text', 'experiment_analytics')(number_expression)) }}
    {%- else -%}
        {{ return(default__money_text(number_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__money_text(number_expression) -%}
    to_char({{ number_expression }}, 'FM999,999,999,990.00')
{%- endmacro %}

{% macro spark__money_text(number_expression) -%}
    format_number({{ number_expression }}, 2)
{%- endmacro %}


{# The elements of an array as one text value, joined by `delimiter` (a SQL string literal). #}
{% macro array_text(array_expression, delimiter) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('array_text', 'experiment_analytics')(array_expression, delimiter)) }}
    {%- else -%}
        {{ return(default__array_text(array_expression, delimiter)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__array_text(array_expression, delimiter) -%}
    array_to_string({{ array_expression }}, {{ delimiter }})
{%- endmacro %}

{% macro spark__array_text(array_expression, delimiter) -%}
    array_join(transform({{ array_expression }}, element -> cast(element as string)), {{ delimiter }})
{%- endmacro %}
