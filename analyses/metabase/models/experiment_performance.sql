{#
    Metabase model "Experiment Performance": per active experiment x variant, its allocation,
    users (distinct assigned units) and the aggregated generation metrics. A thin select over the
    contracted mart, so people build their own questions on a documented relation.
#}
with

experiment_performance as (

    select * from {{ ref('experiment_performance') }}

),

experiment_performance_columns as (

    select
        experiment_id,
        variant_id,
        experiment_name,
        variant_name,
        allocation,
        users,
        generation_count,
        acceptance_rate,
        avg_edits,
        avg_latency_ms,
        latency_p50_ms,
        tokens_per_request,
        avg_constraint_respect_score,
        avg_alignment_score,
        avg_diversity_score,
        is_control
    from experiment_performance

)

select * from experiment_performance_columns
order by experiment_name asc, is_control desc, variant_name asc
