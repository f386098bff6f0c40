with

source as (

    select * from {{ source('exp', 'experiments') }}

),

renamed as (

    select
        id as experiment_id,
        name as experiment_name,
        description as experiment_description,
        hypothesis,
        status,
        primary_metric as primary_metric_name,
        (started_at at time zone 'UTC')::date as started_date,
        started_at,
        ended_at,
        created_at

    from source

)

select * from renamed
