{#
    The timestamptz at which a UTC calendar day starts, so that date filters on a timestamptz
    column can use its index (`occurred_at >= utc_day_start(...)`). On Spark (session time zone
    UTC, profiles.yml) the day's timestamp.
#}
{% macro utc_day_start(date_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('utc_day_start', 'experiment_analytics')(date_expression)) }}
    {%- else -%}
        {{ return(default__utc_day_start(date_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_day_start(date_expression) %}
    (({{ date_expression }})::timestamp at time zone 'UTC')
{% endmacro %}

{% macro spark__utc_day_start(date_expression) -%}
    cast(({{ date_expression }}) as timestamp)
{%- endmacro %}
