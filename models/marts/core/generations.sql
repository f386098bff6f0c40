{#
    One row per generation request, with its outcome. Reads the events that keep every
    quarantine rule (int_events_checked: deduplicated, checked against all history).
    Incremental at day grain: a build replaces every UTC day (of the generation) that
    int_event_log_days rebuilds, so a full refresh and any sequence of incremental runs give
    the same rows.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='generated_date',
        on_schema_change='fail',
        indexes=[
            {'columns': ['generated_date']},
            {'columns': ['request_id']},
            {'columns': ['last_received_at']},
        ],
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the batch first #}
checked_events as {{ cte_not_materialized() }} (

    select * from {{ ref('int_events_checked') }}

    where quarantine_rule is null

),

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

generation_events as (

    select * from checked_events

    where
        event_type = 'generation'
        and is_in_rebuilt_days

),

outcome_events as (

    {# at most one outcome per request: the quarantine rules keep only the first #}
    select
        request_id,
        event_type as outcome,
        edit_count,
        occurred_at as outcome_at,
        received_at

    from checked_events

    where event_type in ('accepted', 'edited', 'rejected')

),

generations_joined_to_outcomes as (

    select
        generation_events.request_id,
        generation_events.experiment_id,
        generation_events.variant_id,
        generation_events.unit_id,
        generation_events.policy_version_id,
        policy_versions.model_name,
        coalesce(outcome_events.outcome, 'none') as outcome,
        generation_events.latency_ms,
        generation_events.prompt_tokens,
        generation_events.completion_tokens,
        generation_events.prompt_tokens + generation_events.completion_tokens as total_tokens,
        generation_events.constraint_respect_score,
        generation_events.alignment_score,
        generation_events.diversity_score,
        case
            when outcome_events.outcome = 'edited' then coalesce(outcome_events.edit_count, 0)
            else 0
        end as edit_count,
        coalesce(outcome_events.outcome in ('accepted', 'edited'), false) as is_accepted,
        coalesce(outcome_events.outcome = 'edited', false) as is_edited,
        coalesce(outcome_events.outcome = 'rejected', false) as is_rejected,
        coalesce(generation_events.constraint_respect_score < 1, false) as is_constraint_violation,
        generation_events.occurred_date as generated_date,
        {{ utc_date('outcome_events.outcome_at') }} as outcome_date,
        generation_events.occurred_at as generated_at,
        outcome_events.outcome_at,
        generation_events.received_at as generation_received_at,
        greatest(generation_events.received_at, outcome_events.received_at) as last_received_at

    from generation_events
    left join outcome_events
        on generation_events.request_id = outcome_events.request_id
    left join policy_versions
        on generation_events.policy_version_id = policy_versions.policy_version_id

)

select * from generations_joined_to_outcomes
