{#
    The edit-count distribution: per experiment x variant x UTC day x edit count, how many
    generations had that many edits (0 for generations that were not edited). Incremental like
    variant_daily_metrics.
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

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

generations_to_aggregate as (

    select * from generations

    {% if is_incremental() %}
        where generated_date in {{ rebuilt_days() }}
    {% endif %}

),

generations_counted_by_edit_count as (

    select
        experiment_id,
        variant_id,
        generated_date as metric_date,
        edit_count,
        count(*) as generation_count,
        max(last_received_at) as last_received_at

    from generations_to_aggregate

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
