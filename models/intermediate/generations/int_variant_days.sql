{#
    Per experiment x variant x UTC day of generation: the unit-day sufficient statistics of
    unit_daily_statistics added up (exact numeric sums). Small (variants x days), so the
    whole-experiment figures (int_generations_aggregated_to_variants) re-add it on every build
    instead of reading the generations or the unit days again. Incremental: replaces the days
    int_event_log_days rebuilds.
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

unit_daily_statistics as (

    select * from {{ ref('unit_daily_statistics') }}

),

unit_days_to_add as (

    select * from unit_daily_statistics

    {% if is_incremental() %}
        where metric_date in {{ rebuilt_days() }}
    {% endif %}

),

variant_days as (

    select
        experiment_id,
        variant_id,
        metric_date,
        sum(generation_count)::bigint as generation_count,
        sum(accepted_count)::bigint as accepted_count,
        sum(edit_count)::bigint as edit_count,
        sum(latency_ms_sum::numeric) as latency_ms_sum,
        sum(latency_measured_count)::bigint as latency_measured_count,
        sum(total_tokens)::bigint as total_tokens,
        sum(token_measured_count)::bigint as token_measured_count,
        sum(constraint_respect_score_sum::numeric) as constraint_respect_score_sum,
        sum(constraint_respect_scored_count)::bigint as constraint_respect_scored_count,
        sum(alignment_score_sum::numeric) as alignment_score_sum,
        sum(alignment_scored_count)::bigint as alignment_scored_count,
        sum(diversity_score_sum::numeric) as diversity_score_sum,
        sum(diversity_scored_count)::bigint as diversity_scored_count

    from unit_days_to_add

    group by 1, 2, 3

)

select * from variant_days
