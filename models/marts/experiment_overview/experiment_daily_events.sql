{#
    Per experiment x UTC day: the events that occurred that day (generations on their day,
    outcomes on theirs) and the generations. Counts the events of generations that reach the
    marts: an outcome without its generation is quarantined (event_quarantine). Incremental:
    replaces the days int_event_log_days rebuilds.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='event_date',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
generations as not materialized (

    select * from {{ ref('generations') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

events_by_day as (

    select
        experiment_id,
        generated_date as event_date,
        1 as is_generation,
        last_received_at

    from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
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
            and outcome_date in {{ rebuilt_days() }}
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
