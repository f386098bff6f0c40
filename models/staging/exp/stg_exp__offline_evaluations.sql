with

source as (

    select * from {{ source('exp', 'offline_evaluations') }}

),

renamed as (

    select
        id as offline_evaluation_id,
        policy_version_id,
        evaluation_run_id,
        dataset_name,
        alignment_score,
        constraint_respect_score,
        diversity_score,
        predicted_acceptance_rate,
        sample_count,
        evaluated_at

    from source

)

select * from renamed
