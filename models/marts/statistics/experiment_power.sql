{#
    Power and time to decision of every running experiment's primary metric, per treatment
    variant, over its whole history, from the card tables as variant_significance
    (window_statistics_ctes' whole-history mode; macro power_ctes, shared with the Metabase card
    variant_performance__power_and_time_to_decision, any window).
#}

with

arm_day_pair_statistics as (

    select * from {{ ref('arm_day_pair_statistics') }}

),

variant_significance as (

    select * from {{ ref('variant_significance') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

{#- only window_arm_units is read (the units and days per arm); the other CTEs are not computed -#}
{{ window_statistics_ctes('arm_day_pair_statistics', ref('arm_day_pair_statistics'), ref('arm_day_unit_entries')) }},

{{ power_ctes('variant_significance', 'window_arm_units', 'experiments') }}

select * from power_results
