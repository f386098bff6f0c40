{#
    One row per event of exp.events kept out of every mart because it broke a quarantine rule
    (macro quarantine_rules), with the rule and what it means. Incremental: a build replaces
    the days it rebuilds (incremental_strategy replace_days), so an event whose problem is
    fixed upstream leaves the quarantine and reaches the marts in the next build.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='occurred_date',
        on_schema_change='fail',
        indexes=[
            {'columns': ['occurred_date']},
            {'columns': ['quarantine_rule']},
        ],
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

events_checked as (

    select * from {{ ref('int_events_checked') }}

),

quarantined_events as (

    select
        event_id,
        request_id,
        experiment_id,
        variant_id,
        unit_id,
        event_type,
        quarantine_rule,
        {{ quarantine_rule_description('quarantine_rule') }} as quarantine_rule_description,
        occurred_date,
        occurred_at,
        received_at

    from events_checked

    where
        quarantine_rule is not null
        and is_in_rebuilt_days

)

select * from quarantined_events
