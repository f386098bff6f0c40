{#
    Model Quality · Quality by Model Version: mean online alignment, constraint respect and
    diversity score of each policy version's generations, in version order (oldest first).
    Versions that never served traffic are left out.
#}
with

policy_version_evaluations as (

    select * from {{ ref('policy_version_evaluations') }}

),

versions_with_online_traffic as (

    select
        version_order,
        policy_version,
        online_generation_count,
        avg_online_alignment_score,
        avg_online_constraint_respect_score,
        avg_online_diversity_score
    from policy_version_evaluations
    where online_generation_count > 0

)

select * from versions_with_online_traffic
order by version_order asc
