{#
    Offline vs Online · Model Versions: every policy version, newest first, with its offline
    evaluation (predicted acceptance rate = the offline score, and alignment) next to what it
    achieved online (acceptance rate over its generations) and the offline - online delta.
    Online columns are empty for versions that never served traffic.
#}
with

policy_version_evaluations as (

    select * from {{ ref('policy_version_evaluations') }}

),

model_versions as (

    select
        policy_version,
        offline_predicted_acceptance_rate,
        online_acceptance_rate,
        status,
        model_name,
        offline_alignment_score,
        online_generation_count,
        offline_online_delta,
        created_at
    from policy_version_evaluations

)

select * from model_versions
order by created_at desc, policy_version desc
