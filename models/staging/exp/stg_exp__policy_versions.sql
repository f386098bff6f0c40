with

source as (

    select * from {{ source('exp', 'policy_versions') }}

),

renamed as (

    select
        id as policy_version_id,
        version as policy_version,
        model_name,
        model_version,
        status,
        created_at

    from source

)

select * from renamed
