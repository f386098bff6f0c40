{#
    Per experiment x variant: the five-number summary of generation latency plus p95/p99, the
    honest stand-in for a box plot (Metabase has none).
#}
with

generations_aggregated_to_variants as (

    select * from {{ ref('int_generations_aggregated_to_variants') }}

),

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

variant_latency_distribution as (

    select
        generations_aggregated_to_variants.experiment_id,
        variants_named.experiment_name,
        generations_aggregated_to_variants.variant_id,
        variants_named.variant_name,
        generations_aggregated_to_variants.generation_count,
        generations_aggregated_to_variants.latency_min_ms,
        generations_aggregated_to_variants.latency_p25_ms,
        generations_aggregated_to_variants.latency_p50_ms,
        generations_aggregated_to_variants.latency_p75_ms,
        generations_aggregated_to_variants.latency_p95_ms,
        generations_aggregated_to_variants.latency_p99_ms,
        generations_aggregated_to_variants.latency_max_ms

    from generations_aggregated_to_variants
    left join variants_named
        on generations_aggregated_to_variants.variant_id = variants_named.variant_id

)

select * from variant_latency_distribution
