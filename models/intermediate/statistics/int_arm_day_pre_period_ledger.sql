{#
    What the card tables arm_day_pair_statistics and arm_day_unit_entries were built from, on
    the pre-period side: the last day of unit_daily_statistics they hold and the fingerprint of
    unit_pre_period_statistics' rows of the units assigned on or before it (macro
    arm_day_pre_period_fingerprint). Built after both (the refs below), so a failed card table
    leaves the old row and the next build rebuilds every day of both; the next build compares
    the pre-period with this row (macro arm_day_statistics_rebuild_every_day).
#}
{# A table (intermediate models are ephemeral otherwise): the next build reads it. #}
{{ config(materialized='table') }}

-- depends_on: {{ ref('arm_day_pair_statistics') }}
-- depends_on: {{ ref('arm_day_unit_entries') }}

with

unit_daily_statistics as (

    select * from {{ ref('unit_daily_statistics') }}

),

through as (

    select max(metric_date) as through_date

    from unit_daily_statistics

),

recorded as (

    select
        through.through_date,
        fingerprint.unit_count,
        fingerprint.pre_period_fingerprint

    from through
    cross join lateral (
        {{ arm_day_pre_period_fingerprint(ref('unit_pre_period_statistics'), 'through.through_date') }}
    ) as fingerprint

)

select * from recorded
