{#
    One row per generation request, with its outcome. Incremental at day grain: a run rebuilds
    every UTC day (of the generation) touched by an event received after the late-event cutoff,
    so a full refresh and any sequence of incremental runs give the same rows.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='generated_date',
        on_schema_change='fail',
        indexes=[
            {'columns': ['generated_date']},
            {'columns': ['last_received_at']},
        ],
    )
}}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
events as not materialized (

    select * from {{ ref('stg_exp__events') }}

),

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

{% if is_incremental() %}

    recently_received_events as (

        select
            request_id,
            event_type,
            occurred_date

        from events

        where received_at > {{ late_event_cutoff('last_received_at') }}

    ),

    days_to_rebuild as (

        select occurred_date as generated_date

        from recently_received_events

        where event_type = 'generation'

        union

        {# an outcome received late belongs to the day of its generation, already built #}
        select built_generations.generated_date

        from recently_received_events
        inner join {{ this }} as built_generations
            on recently_received_events.request_id = built_generations.request_id

        where recently_received_events.event_type <> 'generation'

    ),

{% endif %}

generation_events as (

    select * from events

    where
        event_type = 'generation'
        {% if is_incremental() %}
            and occurred_at >= {{ utc_day_start('(select min(generated_date) from days_to_rebuild)') }}
            and occurred_date in (select days_to_rebuild.generated_date from days_to_rebuild)
        {% endif %}

),

outcome_events as (

    {#
        One generation and at most one outcome per request are source tests: no deduplication
        here (a sort of the whole log); a duplicate shows up in generations' unique test.
    #}
    select
        request_id,
        event_type as outcome,
        edit_count,
        occurred_at as outcome_at,
        received_at

    from events

    where
        event_type in ('accepted', 'edited', 'rejected')
        {% if is_incremental() %}
            {# an outcome never precedes its generation (a singular test) #}
            and occurred_at >= {{ utc_day_start('(select min(generated_date) from days_to_rebuild)') }}
        {% endif %}

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
        (outcome_events.outcome_at at time zone 'UTC')::date as outcome_date,
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
