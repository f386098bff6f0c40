{#
    Per experiment x UTC day: the events that occurred that day (generations on their day,
    outcomes on theirs) and the generations. Counts the events of known generations: an outcome
    without its generation fails a source test instead. Incremental: rebuilds every day touched
    (by generation or outcome) by a generation received after the late-event cutoff.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='fail',
    )
}}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
generations as not materialized (

    select * from {{ ref('generations') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

{% if is_incremental() %}

    days_to_rebuild as (

        select recent_generations.generated_date as event_date

        from generations as recent_generations

        where recent_generations.last_received_at > {{ late_event_cutoff('last_received_at') }}

        union

        select recent_generations.outcome_date as event_date

        from generations as recent_generations

        where
            recent_generations.last_received_at > {{ late_event_cutoff('last_received_at') }}
            and recent_generations.outcome_date is not null

    ),

{% endif %}

events_by_day as (

    select
        experiment_id,
        generated_date as event_date,
        1 as is_generation,
        last_received_at

    from generations

    {% if is_incremental() %}
        where generated_date in (select days_to_rebuild.event_date from days_to_rebuild)
    {% endif %}

    union all

    select
        experiment_id,
        outcome_date as event_date,
        0 as is_generation,
        last_received_at

    from generations

    where
        outcome_date is not null
        {% if is_incremental() %}
            and outcome_date in (select days_to_rebuild.event_date from days_to_rebuild)
        {% endif %}

),

daily_event_counts as (

    select
        experiment_id,
        event_date,
        count(*) as event_count,
        sum(is_generation) as generation_count,
        max(last_received_at) as last_received_at

    from events_by_day

    group by 1, 2

),

daily_event_counts_named as (

    select
        daily_event_counts.experiment_id,
        experiments.experiment_name,
        daily_event_counts.event_date,
        daily_event_counts.event_count,
        daily_event_counts.generation_count,
        daily_event_counts.last_received_at

    from daily_event_counts
    left join experiments
        on daily_event_counts.experiment_id = experiments.experiment_id

)

select * from daily_event_counts_named
