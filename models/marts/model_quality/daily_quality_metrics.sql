{#
    Per UTC day x policy version: online quality scores of the generations it served, and its
    constraint violations (constraint_respect_score < 1), added up from int_variant_days.
    Incremental like the other daily marts.
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

variant_days as (

    select * from {{ ref('int_variant_days') }}

),

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

variant_days_to_add as (

    select * from variant_days

    {% if is_incremental() %}
        where metric_date in {{ rebuilt_days() }}
    {% endif %}

),

daily_policy_version_aggregates as (

    select
        metric_date,
        policy_version_id,
        sum(generation_count)::bigint as generation_count,
        coalesce(sum(generation_count) filter (where outcome in ('accepted', 'edited')), 0)::bigint
            as accepted_count,
        (sum(alignment_score_sum) / nullif(sum(alignment_scored_count), 0))::{{ sql_type('double precision') }}
            as avg_alignment_score,
        (
            sum(constraint_respect_score_sum) / nullif(sum(constraint_respect_scored_count), 0)
        )::{{ sql_type('double precision') }} as avg_constraint_respect_score,
        (sum(diversity_score_sum) / nullif(sum(diversity_scored_count), 0))::{{ sql_type('double precision') }}
            as avg_diversity_score,
        sum(constraint_violation_count)::bigint as constraint_violation_count,
        max(last_received_at) as last_received_at

    from variant_days_to_add

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
