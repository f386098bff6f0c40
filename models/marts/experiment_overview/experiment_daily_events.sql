{#
    Per experiment x UTC day: the events that occurred that day (generations on their day,
    outcomes on theirs) and the generations, added up from int_variant_days. Counts the events
    of generations that reach the marts: an outcome without its generation is quarantined
    (event_quarantine). Incremental: replaces the days int_event_log_days rebuilds (an outcome
    shares its request with its generation, so the day of either is rebuilt with the other's).
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

{# not materialized: read twice, PostgreSQL would otherwise copy it first #}
variant_days as {{ cte_not_materialized() }} (

    select * from {{ ref('int_variant_days') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

events_by_day as (

    select
        experiment_id,
        metric_date as event_date,
        generation_count as event_count,
        generation_count,
        last_received_at

    from variant_days

    {% if is_incremental() %}
        where metric_date in {{ rebuilt_days() }}
    {% endif %}

    union all

    select
        experiment_id,
        outcome_date as event_date,
        generation_count as event_count,
        0 as generation_count,
        last_received_at

    from variant_days

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
        sum(event_count)::bigint as event_count,
        sum(generation_count)::bigint as generation_count,
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
