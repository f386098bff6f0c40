with

source as (

    select * from {{ source('dbt_history', 'dbt_build_history') }}

),

renamed as (

    select
        invocation_id,
        command,
        started_at,
        finished_at,
        models_in_project,
        models_built,
        nodes_failed,
        nodes_skipped,
        is_complete_success

    from source

)

select * from renamed
