with

assignments as (

    select * from {{ ref('stg_exp__assignments') }}

),

assignments_aggregated_to_variants as (

    select
        experiment_id,
        variant_id,
        count(distinct unit_id) as assigned_unit_count

    from assignments

    group by 1, 2

)

select * from assignments_aggregated_to_variants
