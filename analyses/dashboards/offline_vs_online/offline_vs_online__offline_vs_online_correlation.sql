{#
    Offline vs Online · Offline vs Online Correlation: one point per policy version that served
    traffic online: x = offline alignment score, y = online acceptance rate.
#}
with

policy_version_evaluations as (

    select * from {{ ref('policy_version_evaluations') }}

),

versions_with_online_traffic as (

    select
        policy_version,
        offline_alignment_score,
        online_acceptance_rate,
        online_generation_count,
        version_order
    from policy_version_evaluations
    where
        online_generation_count > 0
        and offline_alignment_score is not null

)

select * from versions_with_online_traffic
order by version_order asc
