{#
    Offline vs Online · Prediction Accuracy Over Time: offline predicted acceptance rate minus
    online acceptance rate, per policy version in version order (oldest first). 0 = the offline
    evaluation predicted online acceptance exactly; > 0 = offline was optimistic.
#}
with

policy_version_evaluations as (

    select * from {{ ref('policy_version_evaluations') }}

),

versions_with_delta as (

    select
        version_order,
        policy_version,
        offline_predicted_acceptance_rate,
        online_acceptance_rate,
        offline_online_delta
    from policy_version_evaluations
    where offline_online_delta is not null

)

select * from versions_with_delta
order by version_order asc
