with

source as (

    select * from {{ source('exp', 'variants') }}

),

renamed as (

    select
        id as variant_id,
        experiment_id,
        policy_version_id,
        name as variant_name,
        allocation,
        is_control,
        created_at

    from source

)

select * from renamed
