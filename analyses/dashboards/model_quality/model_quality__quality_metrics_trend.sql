{#
    Model Quality · Quality Metrics Trend: mean alignment, constraint respect and diversity score
    of all generations per UTC day, over the last 30 days. Per-version daily means are combined
    weighted by their generation counts, which gives the exact daily mean over all generations.
#}
with

daily_quality_metrics as (

    select * from {{ ref('daily_quality_metrics') }}

),

recent_daily_quality_metrics as (

    select
        metric_date,
        generation_count,
        avg_alignment_score,
        avg_constraint_respect_score,
        avg_diversity_score
    from daily_quality_metrics
    where metric_date >= {{ utc_today() }} - 29

),

quality_by_day as (

    select
        metric_date,
        sum(generation_count) as generation_count,
        sum(avg_alignment_score * generation_count)
        / nullif(sum(generation_count), 0) as avg_alignment_score,
        sum(avg_constraint_respect_score * generation_count)
        / nullif(sum(generation_count), 0) as avg_constraint_respect_score,
        sum(avg_diversity_score * generation_count)
        / nullif(sum(generation_count), 0) as avg_diversity_score
    from recent_daily_quality_metrics
    group by metric_date

)

select * from quality_by_day
order by metric_date asc
