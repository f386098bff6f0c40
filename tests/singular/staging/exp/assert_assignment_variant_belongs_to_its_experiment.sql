-- Assertion: the variant of every assignment belongs to the assignment's experiment.
-- Returns the assignments to another experiment's variant.
with

assignments as (

    select * from {{ ref('stg_exp__assignments') }}

),

variants as (

    select * from {{ ref('stg_exp__variants') }}

)

select
    assignments.experiment_id,
    assignments.unit_id,
    assignments.variant_id,
    variants.experiment_id as variant_experiment_id

from assignments
inner join variants
    on assignments.variant_id = variants.variant_id

where assignments.experiment_id <> variants.experiment_id
