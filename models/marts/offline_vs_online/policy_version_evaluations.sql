{#
    One row per policy version, in version order (created_at): its offline evaluation (means
    over all its evaluation runs, weighted by sample_count) next to what its generations did
    online. Online figures recombine daily_quality_metrics (generation-weighted), so this model
    does not scan the generations again.
#}
with

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

offline_evaluations as (

    select * from {{ ref('stg_exp__offline_evaluations') }}

),

daily_quality_metrics as (

    select * from {{ ref('daily_quality_metrics') }}

),

offline_scores as (

    select
        policy_version_id,
        sum(alignment_score * sample_count) / sum(sample_count) as offline_alignment_score,
        sum(constraint_respect_score * sample_count)
        / sum(sample_count) as offline_constraint_respect_score,
        sum(diversity_score * sample_count) / sum(sample_count) as offline_diversity_score,
        sum(predicted_acceptance_rate * sample_count)
        / sum(sample_count) as offline_predicted_acceptance_rate

    from offline_evaluations

    group by 1

),

online_scores as (

    select
        policy_version_id,
        sum(generation_count) as online_generation_count,
        sum(accepted_count)::{{ sql_type('double precision') }} / sum(generation_count) as online_acceptance_rate,
        sum(avg_alignment_score * generation_count)
        / sum(generation_count) as avg_online_alignment_score,
        sum(avg_constraint_respect_score * generation_count)
        / sum(generation_count) as avg_online_constraint_respect_score,
        sum(avg_diversity_score * generation_count)
        / sum(generation_count) as avg_online_diversity_score

    from daily_quality_metrics

    group by 1

),

policy_versions_evaluated as (

    select
        policy_versions.policy_version_id,
        policy_versions.policy_version,
        policy_versions.model_name,
        policy_versions.model_version,
        policy_versions.status,
        {#- bigint on both engines (Spark's row_number is an int) #}
        (row_number() over (
            order by policy_versions.created_at asc, policy_versions.policy_version_id asc
        ))::bigint as version_order,
        (row_number() over (
            order by policy_versions.created_at desc, policy_versions.policy_version_id desc
        ))::bigint as versions_from_latest,
        offline_scores.offline_alignment_score,
        offline_scores.offline_constraint_respect_score,
        offline_scores.offline_diversity_score,
        offline_scores.offline_predicted_acceptance_rate,
        coalesce(online_scores.online_generation_count, 0)::bigint as online_generation_count,
        online_scores.online_acceptance_rate,
        offline_scores.offline_predicted_acceptance_rate
        - online_scores.online_acceptance_rate as offline_online_delta,
        online_scores.avg_online_alignment_score,
        online_scores.avg_online_constraint_respect_score,
        online_scores.avg_online_diversity_score,
        policy_versions.created_at

    from policy_versions
    left join offline_scores
        on policy_versions.policy_version_id = offline_scores.policy_version_id
    left join online_scores
        on policy_versions.policy_version_id = online_scores.policy_version_id

)

select * from policy_versions_evaluated
