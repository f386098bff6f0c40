{#
    The edit-count distribution: per experiment x variant x UTC day x edit count, how many
    generations had that many edits (0 for generations that were not edited), added up from
    int_variant_days. Incremental like variant_daily_metrics.
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

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

variant_days_to_add as (

    select * from variant_days

    {% if is_incremental() %}
        where metric_date in {{ rebuilt_days() }}
    {% endif %}

),

generations_counted_by_edit_count as (

    select
        experiment_id,
        variant_id,
        metric_date,
        edit_count,
        sum(generation_count)::bigint as generation_count,
        max(last_received_at) as last_received_at

    from variant_days_to_add

    group by 1, 2, 3, 4

),

edit_counts_named as (

    select
        generations_counted_by_edit_count.experiment_id,
        variants_named.experiment_name,
        generations_counted_by_edit_count.variant_id,
        variants_named.variant_name,
        generations_counted_by_edit_count.metric_date,
        generations_counted_by_edit_count.edit_count,
        generations_counted_by_edit_count.generation_count,
        generations_counted_by_edit_count.last_received_at

    from generations_counted_by_edit_count
    left join variants_named
        on generations_counted_by_edit_count.variant_id = variants_named.variant_id

)

select * from edit_counts_named
