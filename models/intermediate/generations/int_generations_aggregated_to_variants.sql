{#
    All generations per experiment x variant, without reading them again: volumes, rates and
    scores re-added from the variant-day sums (int_variant_days, exact numeric sums), the
    latency distribution from the daily latency histograms (variant_daily_latency_histograms:
    percentiles within 1 %, min and max exact). Both inputs are small (variants x days), so
    this stays ephemeral: each variant-level mart re-adds them.
#}

with

variant_days as (

    select * from {{ ref('int_variant_days') }}

),

variant_daily_latency_histograms as (

    select * from {{ ref('variant_daily_latency_histograms') }}

),

variant_totals as (

    select
        experiment_id,
        variant_id,
        sum(generation_count)::bigint as generation_count,
        coalesce(sum(generation_count) filter (where outcome in ('accepted', 'edited')), 0)::bigint
            as accepted_count,
        sum(edit_count * generation_count)::bigint as edit_count_total,
        sum(latency_ms_sum) as latency_ms_sum,
        sum(latency_measured_count) as latency_measured_count,
        sum(total_tokens) as total_tokens,
        sum(token_measured_count) as token_measured_count,
        sum(constraint_respect_score_sum) as constraint_respect_score_sum,
        sum(constraint_respect_scored_count) as constraint_respect_scored_count,
        sum(alignment_score_sum) as alignment_score_sum,
        sum(alignment_scored_count) as alignment_scored_count,
        sum(diversity_score_sum) as diversity_score_sum,
        sum(diversity_scored_count) as diversity_scored_count

    from variant_days

    group by 1, 2

),

variant_latency_percentiles as (

    {% set percentiles = [
        ('latency_p25_ms', 0.25), ('latency_p50_ms', 0.5), ('latency_p75_ms', 0.75),
        ('latency_p95_ms', 0.95), ('latency_p99_ms', 0.99),
    ] %}
    {{ latency_histogram_percentiles(
        'variant_daily_latency_histograms', ['experiment_id', 'variant_id'], percentiles
    ) }}

),

generations_aggregated_to_variants as (

    select
        variant_totals.experiment_id,
        variant_totals.variant_id,
        variant_totals.generation_count,
        variant_totals.accepted_count,
        variant_totals.edit_count_total,
        (
            variant_totals.latency_ms_sum / nullif(variant_totals.latency_measured_count, 0)
        )::{{ sql_type('float8') }} as avg_latency_ms,
        variant_latency_percentiles.latency_min_ms,
        variant_latency_percentiles.latency_p25_ms,
        variant_latency_percentiles.latency_p50_ms,
        variant_latency_percentiles.latency_p75_ms,
        variant_latency_percentiles.latency_p95_ms,
        variant_latency_percentiles.latency_p99_ms,
        variant_latency_percentiles.latency_max_ms,
        (
            variant_totals.total_tokens::{{ sql_type('numeric') }} / nullif(variant_totals.token_measured_count, 0)
        )::{{ sql_type('float8') }} as tokens_per_request,
        (
            variant_totals.constraint_respect_score_sum
            / nullif(variant_totals.constraint_respect_scored_count, 0)
        )::{{ sql_type('float8') }} as avg_constraint_respect_score,
        (
            variant_totals.alignment_score_sum / nullif(variant_totals.alignment_scored_count, 0)
        )::{{ sql_type('float8') }} as avg_alignment_score,
        (
            variant_totals.diversity_score_sum / nullif(variant_totals.diversity_scored_count, 0)
        )::{{ sql_type('float8') }} as avg_diversity_score

    from variant_totals
    left join variant_latency_percentiles
        on
            variant_totals.experiment_id = variant_latency_percentiles.experiment_id
            and variant_totals.variant_id = variant_latency_percentiles.variant_id

)

select * from generations_aggregated_to_variants
