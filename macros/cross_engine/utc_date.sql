{#
    The UTC calendar day of a timestamp (timestamptz on PostgreSQL, timestamp on Spark) as a date.
    On Spark the profile's session time zone is UTC (profiles.yml), so to_date is the UTC day.
#}
{% macro utc_date(timestamp_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('utc_date', 'experiment_analytics')(timestamp_expression)) }}
    {%- else -%}
        {{ return(default__utc_date(timestamp_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_date(timestamp_expression) -%}
    (({{ timestamp_expression }}) at time zone 'UTC')::date
{%- endmacro %}

{% macro spark__utc_date(timestamp_expression) -%}
    to_date({{ timestamp_expression }})
{%- endmacro %}

{#
    exp.events' UTC day of occurred_at, read in staging. On Spark the source table is
    partitioned by that day (occurred_date, exp_source_contract_spark.sql): reading the partition
    column lets a filter on the day skip the other days' files.
#}
{% macro events_occurred_date() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('events_occurred_date', 'experiment_analytics')()) }}
    {%- else -%}
        {{ return(default__events_occurred_date()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__events_occurred_date() -%}
    {{ utc_date('occurred_at') }}
{%- endmacro %}

{% macro spark__events_occurred_date() -%}
    occurred_date
{%- endmacro %}


{# The start of the UTC hour of a timestamp (timestamptz on PostgreSQL, timestamp on Spark). #}
{% macro utc_hour_start(timestamp_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('utc_hour_start', 'experiment_analytics')(timestamp_expression)) }}
    {%- else -%}
        {{ return(default__utc_hour_start(timestamp_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_hour_start(timestamp_expression) -%}
    date_trunc('hour', {{ timestamp_expression }}, 'UTC')
{%- endmacro %}

{% macro spark__utc_hour_start(timestamp_expression) -%}
    date_trunc('HOUR', {{ timestamp_expression }})
{%- endmacro %}
