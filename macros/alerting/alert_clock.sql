{#
    The clock of the Metabase alert questions (analyses/metabase/alerts/).

    Each alert is checked on a fixed Quartz schedule and must say something only when its
    condition STARTS to hold (one message per incident, metabase/README.md "Alerts"). Metabase
    keeps no state between checks and the warehouse role it uses cannot write, so every question
    evaluates its condition at two instants from timestamped data alone: the current check slot
    and the previous one, and returns rows only when the condition holds now and did not then.

    alert_checked_at(): the time of the check. now() in Metabase; a PostgreSQL session may set
        `experiment_analytics.alert_checked_at` to replay a check at another time
        (`set experiment_analytics.alert_checked_at = '2026-11-30 12:00+00'`; the tests do).
    alert_check_slot(step): the check time rounded down to the schedule's grid (UTC-aligned
        multiples of `step`, an interval literal such as '5 minutes'), less the var
        alert_ingestion_delay_minutes. Every check reads data received up to its slot, so two
        checks in one slot agree and consecutive checks see consecutive, non-overlapping windows.
#}
{% macro alert_checked_at() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('alert_checked_at', 'experiment_analytics')()) }}
    {%- else -%}
        {{ return(default__alert_checked_at()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__alert_checked_at() -%}
    coalesce(
        nullif(current_setting('experiment_analytics.alert_checked_at', true), '')::timestamptz,
        now()
    )
{%- endmacro %}

{# Spark SQL has no session settings a query can read back: a check is always now(). #}
{% macro spark__alert_checked_at() -%}
    now()
{%- endmacro %}

{% macro alert_check_slot(step) -%}
    {{ time_bin(
        step,
        alert_checked_at() ~ " - interval '" ~ var("alert_ingestion_delay_minutes", 0) ~ " minutes'",
        '2000-01-01 00:00:00+00'
    ) }}
{%- endmacro %}

{# The first check slot that sees a row received at `timestamp_sql`: rounded UP to the grid. #}
{% macro ceil_to_slot(timestamp_sql, step) -%}
    (
        {{ time_bin(step, '(' ~ timestamp_sql ~ ") - interval '1 microsecond'", '2000-01-01 00:00:00+00') }}
        + interval '{{ step }}'
    )
{%- endmacro %}
