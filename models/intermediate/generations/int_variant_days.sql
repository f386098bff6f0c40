{#
    The one pass over the generations behind every day-grain mart: per experiment x variant x
    policy version (and its model) x UTC day of generation x outcome x UTC day of the outcome x edit count,
    every count, sum and maximum those marts need (sums of floats in numeric: exact whatever
    the row order, so an incremental run and a full refresh give the same rows). The extra keys
    are what the marts group by besides variant x day (policy version: daily_quality_metrics
    and, through its model, daily_model_costs; the outcome's day: experiment_daily_events; the
    edit count: variant_daily_edit_counts); they multiply the rows by a few, not by the
    generations, so the marts (and the whole-experiment figures) are small aggregations of it.
    Only exact single-day latency percentiles, the histograms and the per-unit statistics read
    the generations themselves. Incremental: replaces the days int_event_log_days rebuilds.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='metric_date',
        on_schema_change='fail',
        indexes=[{'columns': ['metric_date']}, {'columns': ['outcome_date']}],
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

generations as (

    select * from {{ ref('generations') }}

),

generations_to_add as (

    select * from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
    {% endif %}

),

variant_days as (

    select
        experiment_id,
        variant_id,
        policy_version_id,
        model_name,
        generated_date as metric_date,
        outcome,
        outcome_date,
        edit_count,
        count(*) as generation_count,
        count(*) filter (where is_constraint_violation) as constraint_violation_count,
        count(latency_ms) as latency_measured_count,
        sum(latency_ms::{{ sql_type('numeric') }}) as latency_ms_sum,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        count(total_tokens) as token_measured_count,
        sum(total_tokens) as total_tokens,
        {#- the tokens of the generations with both counts: what a price applies to #}
        sum(prompt_tokens) filter (where total_tokens is not null) as priced_prompt_tokens,
        sum(completion_tokens) filter (where total_tokens is not null) as priced_completion_tokens,
        count(constraint_respect_score) as constraint_respect_scored_count,
        sum(constraint_respect_score::{{ sql_type('numeric') }}) as constraint_respect_score_sum,
        count(alignment_score) as alignment_scored_count,
        sum(alignment_score::{{ sql_type('numeric') }}) as alignment_score_sum,
        count(diversity_score) as diversity_scored_count,
        sum(diversity_score::{{ sql_type('numeric') }}) as diversity_score_sum,
        max(last_received_at) as last_received_at

    from generations_to_add

    group by 1, 2, 3, 4, 5, 6, 7, 8

)

select * from variant_days
