with

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

variants as (

    select * from {{ ref('stg_exp__variants') }}

),

assignments as (

    select * from {{ ref('stg_exp__assignments') }}

),

generations_aggregated_to_variants as (

    select * from {{ ref('int_generations_aggregated_to_variants') }}

),

variant_counts as (

    select
        experiment_id,
        count(*) as variant_count

    from variants

    group by 1

),

assigned_unit_counts as (

    select
        experiment_id,
        count(distinct unit_id) as assigned_unit_count

    from assignments

    group by 1

),

generation_counts as (

    select
        experiment_id,
        sum(generation_count) as generation_count

    from generations_aggregated_to_variants

    group by 1

),

experiments_with_stats as (

    select
        experiments.experiment_id,
        experiments.experiment_name,
        experiments.experiment_description,
        experiments.hypothesis,
        experiments.status,
        experiments.primary_metric_name,
        coalesce(variant_counts.variant_count, 0) as variant_count,
        coalesce(assigned_unit_counts.assigned_unit_count, 0) as assigned_unit_count,
        coalesce(generation_counts.generation_count, 0)::bigint as generation_count,
        experiments.status = 'active' as is_active,
        experiments.started_date,
        experiments.started_at,
        experiments.ended_at,
        experiments.created_at,
        experiments.planned_end_at,
        experiments.planned_end_date,
        experiments.planned_unit_count,
        experiments.target_relative_effect

    from experiments
    left join variant_counts
        on experiments.experiment_id = variant_counts.experiment_id
    left join assigned_unit_counts
        on experiments.experiment_id = assigned_unit_counts.experiment_id
    left join generation_counts
        on experiments.experiment_id = generation_counts.experiment_id

)

select * from experiments_with_stats
