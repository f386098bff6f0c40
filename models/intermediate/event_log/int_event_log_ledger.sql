{#
    The ledger: per UTC day of the event log, the fingerprint of the source that the last
    complete build processed, and the newest received_at that build had seen
    (received_through_at, the same on every row). int_event_log_days compares the source with it to find the days
    to rebuild.

    Built last: it depends on every model that rebuilds days (the refs below), so dbt skips it
    when any of them, or any of their data tests, fails; the next build then rebuilds and
    retests the same days again. A build that selects only some of those models (e.g.
    `dbt build -s generations`) leaves the ledger as it was, so no model misses a day.
#}
{{ config(materialized='table') }}

-- depends_on: {{ ref('event_quarantine') }}
-- depends_on: {{ ref('generations') }}
-- depends_on: {{ ref('experiment_daily_events') }}
-- depends_on: {{ ref('variant_daily_metrics') }}
-- depends_on: {{ ref('variant_daily_edit_counts') }}
-- depends_on: {{ ref('daily_quality_metrics') }}
-- depends_on: {{ ref('constraint_violations') }}
-- depends_on: {{ ref('daily_request_metrics') }}
-- depends_on: {{ ref('hourly_latency_percentiles') }}
-- depends_on: {{ ref('daily_model_costs') }}
-- depends_on: {{ ref('unit_daily_statistics') }}
-- depends_on: {{ ref('int_variant_days') }}
-- depends_on: {{ ref('variant_daily_latency_histograms') }}
-- depends_on: {{ ref('arm_day_pair_statistics') }}
-- depends_on: {{ ref('arm_day_unit_entries') }}
-- depends_on: {{ ref('arm_day_pair_latency_buckets') }}
-- depends_on: {{ ref('int_arm_day_pre_period_ledger') }}

{%- set missing = models_missing_from_this_run() -%}
{%- set previous = existing_model_relation('int_event_log_ledger') %}

with

{% if not missing %}

    processed_days as (

        select
            occurred_date,
            source_event_count,
            source_fingerprint,
            received_through_at

        from {{ ref('int_event_log_days') }}

        where source_fingerprint is not null

    )

{% elif previous is not none %}

    processed_days as (

        select
            occurred_date,
            source_event_count,
            source_fingerprint,
            received_through_at

        from {{ previous }}

    )

{% else %}

    processed_days as (

        select
            null::date as occurred_date,
            null::bigint as source_event_count,
            null::{{ sql_type('text') }} as source_fingerprint,
            null::{{ sql_type('timestamptz') }} as received_through_at

        where false

    )

{% endif %}

select * from processed_days
