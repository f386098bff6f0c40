with

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

assignments_aggregated_to_variants as (

    select * from {{ ref('int_assignments_aggregated_to_variants') }}

),

variants_with_traffic as (

    select
        variants_named.variant_id,
        variants_named.experiment_id,
        variants_named.policy_version_id,
        variants_named.experiment_name,
        variants_named.variant_name,
        variants_named.allocation,
        coalesce(assignments_aggregated_to_variants.assigned_unit_count, 0) as assigned_unit_count,
        variants_named.is_control,
        variants_named.created_at

    from variants_named
    left join assignments_aggregated_to_variants
        on variants_named.variant_id = assignments_aggregated_to_variants.variant_id

)

select * from variants_with_traffic
