with

variants as (

    select * from {{ ref('stg_exp__variants') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

assignments_aggregated_to_variants as (

    select * from {{ ref('int_assignments_aggregated_to_variants') }}

),

variants_with_traffic as (

    select
        variants.variant_id,
        variants.experiment_id,
        variants.policy_version_id,
        experiments.experiment_name,
        variants.variant_name,
        variants.allocation,
        coalesce(assignments_aggregated_to_variants.assigned_unit_count, 0) as assigned_unit_count,
        variants.is_control,
        variants.created_at

    from variants
    inner join experiments
        on variants.experiment_id = experiments.experiment_id
    left join assignments_aggregated_to_variants
        on variants.variant_id = assignments_aggregated_to_variants.variant_id

)

select * from variants_with_traffic
