{#
    One pass over all generations, per experiment x variant: volumes, rates, scores and the
    latency distribution. The variant-level marts read this instead of scanning generations
    again each. A table (not ephemeral) for that reason.
#}
{{ config(materialized='table') }}

with

generations as (

    select * from {{ ref('generations') }}

),

generations_aggregated_to_variants as (

    select
        experiment_id,
        variant_id,
        count(*) as generation_count,
        count(*) filter (where is_accepted) as accepted_count,
        sum(edit_count) as edit_count_total,
        avg(latency_ms) as avg_latency_ms,
        min(latency_ms) as latency_min_ms,
        percentile_cont(0.25) within group (order by latency_ms) as latency_p25_ms,
        percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
        percentile_cont(0.75) within group (order by latency_ms) as latency_p75_ms,
        percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
        percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms,
        max(latency_ms) as latency_max_ms,
        avg(total_tokens)::double precision as tokens_per_request,
        avg(constraint_respect_score) as avg_constraint_respect_score,
        avg(alignment_score) as avg_alignment_score,
        avg(diversity_score) as avg_diversity_score

    from generations

    group by 1, 2

)

select * from generations_aggregated_to_variants
