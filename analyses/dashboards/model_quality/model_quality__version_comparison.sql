{#
    Model Quality · Version Comparison: the last five policy versions (newest first), offline
    evaluation scores next to the online means of their generations.
#}
with

policy_version_evaluations as (

    select * from {{ ref('policy_version_evaluations') }}

),

last_five_versions as (

    select
        policy_version,
        model_name,
        status,
        offline_alignment_score,
        avg_online_alignment_score,
        offline_constraint_respect_score,
        avg_online_constraint_respect_score,
        offline_diversity_score,
        avg_online_diversity_score,
        offline_predicted_acceptance_rate,
        online_acceptance_rate,
        online_generation_count,
        created_at
    from policy_version_evaluations
    where versions_from_latest <= 5

)

select * from last_five_versions
order by created_at desc, policy_version desc
