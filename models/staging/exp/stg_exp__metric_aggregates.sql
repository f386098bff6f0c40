with

source as (

    select * from {{ source('exp', 'metric_aggregates') }}

),

renamed as (

    select
        experiment_id,
        variant_id,
        bucket_type,
        metric_name,
        mean as metric_mean,
        count as metric_count,
        variance as metric_variance,
        {{ utc_date('bucket_start') }} as bucket_start_date,
        bucket_start as bucket_started_at,
        computed_at

    from source

)

select * from renamed
