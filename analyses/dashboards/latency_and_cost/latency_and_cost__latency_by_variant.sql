{#
    Latency & Cost · Latency by Variant. Metabase has no box plot, so the box is given as numbers:
    min, quartiles (p25, p50, p75), p95, p99 and max latency of every generation of each variant
    of the active experiments, since the experiment started.
#}
with

variant_latency_distribution as (

    select * from {{ ref('variant_latency_distribution') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

active_variant_latency as (

    select
        variant_latency_distribution.experiment_name,
        variant_latency_distribution.variant_name,
        variant_latency_distribution.generation_count,
        variant_latency_distribution.latency_min_ms,
        variant_latency_distribution.latency_p25_ms,
        variant_latency_distribution.latency_p50_ms,
        variant_latency_distribution.latency_p75_ms,
        variant_latency_distribution.latency_p95_ms,
        variant_latency_distribution.latency_p99_ms,
        variant_latency_distribution.latency_max_ms
    from variant_latency_distribution
    inner join experiments
        on variant_latency_distribution.experiment_id = experiments.experiment_id
    where experiments.status = 'active'

)

select * from active_variant_latency
order by experiment_name asc, variant_name asc
