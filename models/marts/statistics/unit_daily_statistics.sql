{#
    Per experiment x variant x unit x UTC day of the generation: the additive sufficient
    statistics of every ratio metric (STATISTICS.md §1). The card tables arm_day_pair_statistics
    and arm_day_unit_entries are built from these rows (per unit first: daily results are never
    combined), and every significance table from them. Incremental like `generations`, which it
    reads: a run replaces the UTC days int_event_log_days rebuilds.
    Float sums go through numeric: exact whatever the row order, so an incremental run and a
    full refresh give bit-identical rows.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='metric_date',
        on_schema_change='fail',
        indexes=[
            {'columns': ['metric_date']},
            {'columns': ['experiment_id', 'variant_id']},
            {'columns': ['last_received_at']},
        ],
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy all generations first #}
generations as {{ cte_not_materialized() }} (

    select * from {{ ref('generations') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

model_token_prices as (

    select * from {{ ref('model_token_prices') }}

),

generations_in_scope as (

    select
        generations.*,
        {#- priced when both token counts and the model's prices are known -#}
        (
            generations.prompt_tokens * model_token_prices.usd_per_million_prompt_tokens
            + generations.completion_tokens * model_token_prices.usd_per_million_completion_tokens
        ) / 1000000.0 as cost_usd

    from generations
    left join model_token_prices
        on generations.model_name = model_token_prices.model_name

    {% if is_incremental() %}
        where generations.generated_date in {{ rebuilt_days() }}
    {% endif %}

),

generations_aggregated_to_unit_days as (

    select
        experiment_id,
        variant_id,
        unit_id,
        generated_date as metric_date,
        count(*) as generation_count,
        count(*) filter (where is_accepted) as accepted_count,
        coalesce(sum(edit_count), 0) as edit_count,
        count(total_tokens) as token_measured_count,
        coalesce(sum(total_tokens), 0) as total_tokens,
        count(latency_ms) as latency_measured_count,
        coalesce(sum(latency_ms::{{ sql_type('numeric') }}), 0)::{{ sql_type('float8') }} as latency_ms_sum,
        count(constraint_respect_score) as constraint_respect_scored_count,
        coalesce(
            sum(constraint_respect_score::{{ sql_type('numeric') }}), 0
        )::{{ sql_type('float8') }} as constraint_respect_score_sum,
        count(alignment_score) as alignment_scored_count,
        coalesce(sum(alignment_score::{{ sql_type('numeric') }}), 0)::{{ sql_type('float8') }} as alignment_score_sum,
        count(diversity_score) as diversity_scored_count,
        coalesce(sum(diversity_score::{{ sql_type('numeric') }}), 0)::{{ sql_type('float8') }} as diversity_score_sum,
        count(cost_usd) as cost_priced_count,
        coalesce(sum(cost_usd::{{ sql_type('numeric') }}), 0)::{{ sql_type('float8') }} as cost_usd_sum,
        max(last_received_at) as last_received_at

    from generations_in_scope

    group by 1, 2, 3, 4

),

unit_days_named as (

    select
        generations_aggregated_to_unit_days.experiment_id,
        generations_aggregated_to_unit_days.variant_id,
        generations_aggregated_to_unit_days.unit_id,
        experiments.experiment_name,
        generations_aggregated_to_unit_days.generation_count,
        generations_aggregated_to_unit_days.accepted_count,
        generations_aggregated_to_unit_days.edit_count,
        generations_aggregated_to_unit_days.token_measured_count,
        generations_aggregated_to_unit_days.total_tokens,
        generations_aggregated_to_unit_days.latency_measured_count,
        generations_aggregated_to_unit_days.latency_ms_sum,
        generations_aggregated_to_unit_days.constraint_respect_scored_count,
        generations_aggregated_to_unit_days.constraint_respect_score_sum,
        generations_aggregated_to_unit_days.alignment_scored_count,
        generations_aggregated_to_unit_days.alignment_score_sum,
        generations_aggregated_to_unit_days.diversity_scored_count,
        generations_aggregated_to_unit_days.diversity_score_sum,
        generations_aggregated_to_unit_days.cost_priced_count,
        generations_aggregated_to_unit_days.cost_usd_sum,
        generations_aggregated_to_unit_days.metric_date,
        generations_aggregated_to_unit_days.last_received_at

    from generations_aggregated_to_unit_days
    inner join experiments
        on generations_aggregated_to_unit_days.experiment_id = experiments.experiment_id

)

select * from unit_days_named
