{#
    Per UTC day x policy version: online quality scores of the generations it served, and its
    constraint violations (constraint_respect_score < 1). Incremental like the other daily marts.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='metric_date',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
generations as not materialized (

    select * from {{ ref('generations') }}

),

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

generations_to_aggregate as (

    select * from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
    {% endif %}

),

daily_policy_version_aggregates as (

    select
        generated_date as metric_date,
        policy_version_id,
        count(*) as generation_count,
        count(*) filter (where is_accepted) as accepted_count,
        avg(alignment_score) as avg_alignment_score,
        avg(constraint_respect_score) as avg_constraint_respect_score,
        avg(diversity_score) as avg_diversity_score,
        count(*) filter (where is_constraint_violation) as constraint_violation_count,
        max(last_received_at) as last_received_at

    from generations_to_aggregate

    group by 1, 2

),

daily_quality_metrics as (

    select
        daily_policy_version_aggregates.metric_date,
        daily_policy_version_aggregates.policy_version_id,
        policy_versions.policy_version,
        daily_policy_version_aggregates.generation_count,
        daily_policy_version_aggregates.accepted_count,
        daily_policy_version_aggregates.avg_alignment_score,
        daily_policy_version_aggregates.avg_constraint_respect_score,
        daily_policy_version_aggregates.avg_diversity_score,
        daily_policy_version_aggregates.constraint_violation_count,
        daily_policy_version_aggregates.last_received_at

    from daily_policy_version_aggregates
    left join policy_versions
        on daily_policy_version_aggregates.policy_version_id = policy_versions.policy_version_id

)

select * from daily_quality_metrics
