with

source as (

    select * from {{ source('exp', 'events') }}

),

renamed as (

    select
        id as event_id,
        experiment_id,
        variant_id,
        unit_id,
        request_id,
        policy_version_id,
        event_type,
        latency_ms,
        prompt_tokens,
        completion_tokens,
        constraint_respect_score,
        alignment_score,
        diversity_score,
        edit_count,
        {{ events_occurred_date() }} as occurred_date,
        occurred_at,
        received_at

    from source

)

select * from renamed
