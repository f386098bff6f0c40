{#
    Variant Performance · Variant Comparison: one row per variant of the selected experiment(s),
    over the selected date range of generations. Everything is computed from the generation rows
    inside the window (not merged from daily rows): a p50 of a window cannot be rebuilt from
    daily p50s. Variants without generations in the window still appear, with empty metrics.
    Filters: experiment -> variants.experiment_name, date range -> generations.generated_date.
#}
with

variants as (

    select
        variant_id,
        experiment_name,
        variant_name,
        allocation,
        is_control
    from {{ ref('variants') }}
    where
        true
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02

),

generations as (

    select
        variant_id,
        latency_ms,
        edit_count,
        is_accepted
    from {{ ref('generations') }}
    where
        true
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

generations_per_variant as (

    select
        generations.variant_id,
        count(*) as generation_count,
        avg(generations.is_accepted::integer) as acceptance_rate,
        avg(generations.edit_count) as avg_edits,
        percentile_cont(0.5) within group (order by generations.latency_ms) as latency_p50_ms
    from generations
    inner join variants on generations.variant_id = variants.variant_id
    group by generations.variant_id

),

variant_comparison as (

    select
        variants.experiment_name,
        variants.variant_name,
        variants.allocation,
        generations_per_variant.acceptance_rate,
        generations_per_variant.avg_edits,
        generations_per_variant.latency_p50_ms,
        coalesce(generations_per_variant.generation_count, 0) as generation_count,
        variants.is_control
    from variants
    left join generations_per_variant
        on variants.variant_id = generations_per_variant.variant_id

)

select * from variant_comparison
order by experiment_name asc, is_control desc, variant_name asc
