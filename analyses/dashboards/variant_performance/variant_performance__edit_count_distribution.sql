{#
    Variant Performance · Edit Count Distribution. Metabase has no box plot, so the distribution
    is shown whole: generations per edit count (0, 1, 2, 3, 4, 5 or more) per variant, summed
    over the selected window, drawn as a 100% stacked bar per variant.
    Filters: experiment -> variant_daily_edit_counts.experiment_name, date range -> .metric_date.
#}
with

variant_daily_edit_counts as (

    select
        experiment_name,
        variant_name,
        edit_count,
        generation_count
    from {{ ref('variant_daily_edit_counts') }}
    where
        true
        [[and {{ metabase_filter('experiment') }}]]  -- noqa: PRS, LT02
        [[and {{ metabase_filter('date_range') }}]]  -- noqa: PRS, LT02

),

edit_count_buckets as (

    select
        experiment_name,
        variant_name,
        experiment_name || ' / ' || variant_name as variant_label,
        case when edit_count >= 5 then '5+' else edit_count::{{ sql_type('text') }} end as edit_count_bucket,
        generation_count
    from variant_daily_edit_counts

),

edit_count_distribution as (

    select
        experiment_name,
        variant_name,
        variant_label,
        edit_count_bucket,
        sum(generation_count) as generation_count
    from edit_count_buckets
    group by experiment_name, variant_name, variant_label, edit_count_bucket

)

select * from edit_count_distribution
order by experiment_name asc, variant_name asc, edit_count_bucket asc
