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

{{ power_ctes('variant_significance', 'unit_window_totals', 'experiments') }}

select * from power_results
