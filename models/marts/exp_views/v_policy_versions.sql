{#
    Required view exp.v_policy_versions: every policy version with its model (name, version),
    how many variants serve it, and its offline and online scores.
#}
{{ config(materialized='view', schema=var('exp_views_schema')) }}

with

policy_version_evaluations as (

    select * from {{ ref('policy_version_evaluations') }}

),

variants as (

    select * from {{ ref('stg_exp__variants') }}

),

variant_counts as (

    select
        policy_version_id,
        count(*) as variant_count

    from variants

    group by 1

),

policy_versions_with_models as (

    select
        policy_version_evaluations.policy_version_id,
        policy_version_evaluations.policy_version,
        policy_version_evaluations.model_name,
        policy_version_evaluations.model_version,
        policy_version_evaluations.status,
        policy_version_evaluations.version_order,
        coalesce(variant_counts.variant_count, 0) as variant_count,
        policy_version_evaluations.offline_predicted_acceptance_rate,
        policy_version_evaluations.online_generation_count,
        policy_version_evaluations.online_acceptance_rate,
        policy_version_evaluations.created_at

    from policy_version_evaluations
    left join variant_counts
        on policy_version_evaluations.policy_version_id = variant_counts.policy_version_id

)

select * from policy_versions_with_models
