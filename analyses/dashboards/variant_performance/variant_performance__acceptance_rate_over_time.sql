{#
    Variant Performance · Acceptance Rate Over Time: accepted-or-edited generations / generations,
    per variant per UTC day. The series label names the experiment too, so variants of different
    experiments never merge when no experiment is selected.
    Filters: experiment -> variant_daily_metrics.experiment_name, date range -> .metric_date.
#}
with

variant_daily_metrics as (

    select
        experiment_name,
        variant_name,
        generation_count,
        acceptance_rate,
        metric_date
    from {{ ref('variant_daily_metrics') }}
    where
        true
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

acceptance_rate_by_day as (

    select
        metric_date,
        experiment_name,
        variant_name,
        experiment_name || ' / ' || variant_name as variant_label,
        generation_count,
        acceptance_rate
    from variant_daily_metrics

)

select * from acceptance_rate_by_day
order by metric_date asc, experiment_name asc, variant_name asc
