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
