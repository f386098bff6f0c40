{#
    The relation behind the Metabase model "Experiment Performance": per active experiment x
    variant, its traffic (distinct assigned units) and the online metrics of its generations
    over the whole experiment. Rates are per generation; avg_edits counts 0 for a generation
    that was not edited.
#}
with

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

assignments_aggregated_to_variants as (

    select * from {{ ref('int_assignments_aggregated_to_variants') }}

),

generations_aggregated_to_variants as (

    select * from {{ ref('int_generations_aggregated_to_variants') }}

),

active_experiment_variants as (

    select
        experiment_id,
        experiment_name,
        variant_id,
        variant_name,
        is_control,
        allocation

    from variants_named

    where experiment_status = 'active'

),

variant_performance as (

    select
        active_experiment_variants.experiment_id,
        active_experiment_variants.experiment_name,
        active_experiment_variants.variant_id,
        active_experiment_variants.variant_name,
        active_experiment_variants.is_control,
        active_experiment_variants.allocation,
        coalesce(assignments_aggregated_to_variants.assigned_unit_count, 0) as users,  -- noqa: RF04
        coalesce(generations_aggregated_to_variants.generation_count, 0) as generation_count,
        generations_aggregated_to_variants.accepted_count::{{ sql_type('double precision') }}
        / nullif(generations_aggregated_to_variants.generation_count, 0) as acceptance_rate,
        generations_aggregated_to_variants.edit_count_total::{{ sql_type('double precision') }}
        / nullif(generations_aggregated_to_variants.generation_count, 0) as avg_edits,
        generations_aggregated_to_variants.avg_latency_ms,
        generations_aggregated_to_variants.latency_p50_ms,
        generations_aggregated_to_variants.tokens_per_request,
        generations_aggregated_to_variants.avg_constraint_respect_score,
        generations_aggregated_to_variants.avg_alignment_score,
        generations_aggregated_to_variants.avg_diversity_score

    from active_experiment_variants
    left join assignments_aggregated_to_variants
        on active_experiment_variants.variant_id = assignments_aggregated_to_variants.variant_id
    left join generations_aggregated_to_variants
        on active_experiment_variants.variant_id = generations_aggregated_to_variants.variant_id

)

select * from variant_performance
