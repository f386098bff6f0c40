with

source as (

    select * from {{ source('exp', 'assignments') }}

),

renamed as (

    select
        experiment_id,
        variant_id,
        unit_id,
        assigned_at

    from source

)

select * from renamed
