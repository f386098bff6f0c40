{#
    Power and time to decision of every running experiment's primary metric, per treatment
    variant, over its whole history (macro power_ctes, shared with the Metabase card
    variant_performance__power_and_time_to_decision, any window).
#}

with

unit_daily_statistics as (

    select * from {{ ref('unit_daily_statistics') }}

),

variant_significance as (

    select * from {{ ref('variant_significance') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

unit_window_totals as (

    {{ unit_window_totals('unit_daily_statistics') }}

),

arm_units as (

    select
        experiment_id,
        variant_id,
        count(*) as unit_count,
        min(first_metric_date) as first_metric_date,
        max(last_metric_date) as last_metric_date

    from unit_window_totals

    group by 1, 2

),

{{ power_ctes('variant_significance', 'arm_units', 'experiments') }}

select * from power_results
