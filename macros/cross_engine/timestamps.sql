{#
    Days, hours and instants in the card and alert SQL (analyses/), where PostgreSQL and Spark SQL
    differ. Each renders the PostgreSQL text unchanged on PostgreSQL. On Spark the session time
    zone is UTC (profiles.yml), so a timestamp already reads as UTC there.
#}

{# Today's UTC calendar day, as a date. #}
{% macro utc_today() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('utc_today', 'experiment_analytics')()) }}
    {%- else -%}
        {{ return(default__utc_today()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_today() -%}
    (now() at time zone 'utc')::date
{%- endmacro %}

{% macro spark__utc_today() -%}
    current_date()
{%- endmacro %}


{# The UTC hour of a timestamp (its start, a timestamp without time zone on PostgreSQL). #}
{% macro utc_hour(timestamp_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('utc_hour', 'experiment_analytics')(timestamp_expression)) }}
    {%- else -%}
        {{ return(default__utc_hour(timestamp_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_hour(timestamp_expression) -%}
    date_trunc('hour', {{ timestamp_expression }} at time zone 'utc')
{%- endmacro %}

{% macro spark__utc_hour(timestamp_expression) -%}
    date_trunc('hour', {{ timestamp_expression }})
{%- endmacro %}


{# A timestamp as UTC text, 'YYYY-MM-DD HH:MM:SS'. #}
{% macro utc_timestamp_text(timestamp_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('utc_timestamp_text', 'experiment_analytics')(timestamp_expression)) }}
    {%- else -%}
        {{ return(default__utc_timestamp_text(timestamp_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_timestamp_text(timestamp_expression) -%}
    to_char({{ timestamp_expression }} at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS')
{%- endmacro %}

{% macro spark__utc_timestamp_text(timestamp_expression) -%}
    date_format({{ timestamp_expression }}, 'yyyy-MM-dd HH:mm:ss')
{%- endmacro %}


{# The seconds from `earlier` to `later` (two timestamps), a number with a fraction. #}
{% macro seconds_between(later, earlier) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('seconds_between', 'experiment_analytics')(later, earlier)) }}
    {%- else -%}
        {{ return(default__seconds_between(later, earlier)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__seconds_between(later, earlier) -%}
    extract(epoch from {{ later }} - {{ earlier }})
{%- endmacro %}

{% macro spark__seconds_between(later, earlier) -%}
    ((unix_micros({{ later }}) - unix_micros({{ earlier }})) / 1000000.0)
{%- endmacro %}


{#
    PostgreSQL's date_bin(interval '<step>', <timestamp>, <origin>): the timestamp rounded down to
    the grid of multiples of `step` (an interval literal's text such as '15 minutes') from
    `origin` (a timestamp literal's text, UTC). Spark has no date_bin: the same arithmetic on
    microseconds since the epoch.
#}
{% macro time_bin(step, timestamp_expression, origin) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('time_bin', 'experiment_analytics')(step, timestamp_expression, origin)) }}
    {%- else -%}
        {{ return(default__time_bin(step, timestamp_expression, origin)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__time_bin(step, timestamp_expression, origin) -%}
    date_bin(
        interval '{{ step }}',
        {{ timestamp_expression }},
        timestamptz '{{ origin }}'
    )
{%- endmacro %}

{% macro spark__time_bin(step, timestamp_expression, origin) -%}
    {%- set step_micros = interval_microseconds(step) -%}
    timestamp_micros(
        unix_micros(timestamp '{{ origin }}')
        + floor(
            (unix_micros({{ timestamp_expression }}) - unix_micros(timestamp '{{ origin }}'))
            / {{ step_micros }}
        ) * {{ step_micros }}
    )
{%- endmacro %}


{# The microseconds of an interval literal's text: '<n> <unit>' (microsecond ... day). #}
{% macro interval_microseconds(step) -%}
    {%- set units = {
        'microsecond': 1, 'millisecond': 1000, 'second': 1000000, 'minute': 60000000,
        'hour': 3600000000, 'day': 86400000000,
    } -%}
    {%- set parts = (step | trim | lower).split() -%}
    {%- set unit = parts[1].rstrip('s') if parts | length == 2 else '' -%}
    {%- if unit not in units or not parts[0].isdigit() -%}
        {{ exceptions.raise_compiler_error(
            "interval_microseconds(): expected '<whole number> <unit>' with a unit from microsecond to day, got '"
            ~ step ~ "'"
        ) }}
    {%- endif -%}
    {{ return(parts[0] | int * units[unit]) }}
{%- endmacro %}
