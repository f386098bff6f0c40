{#
    Per experiment x assigned unit: the unit's activity in the var statistics_cuped_pre_period_days
    (14) UTC days before the day of its assignment, summed (the CUPED covariate: the same metric's
    sufficient statistics before the experiment could affect the unit). Units without activity
    in that window have zeros. Rebuilt in full: one row per assignment.
#}
{%- set columns = statistics_pre_period_columns().split() -%}
{%- set pre_period_days = var('statistics_cuped_pre_period_days', 14) -%}

with

assignments as (

    select * from {{ ref('stg_exp__assignments') }}

),

unit_daily_activity as (

    select * from {{ ref('stg_exp__unit_daily_activity') }}

),

first_assignments as (

    select
        experiment_id,
        unit_id,
        min(assigned_at) as assigned_at

    from assignments

    group by 1, 2

),

assignment_days as (

    select
        experiment_id,
        unit_id,
        {{ utc_date('assigned_at') }} as assigned_date

    from first_assignments

),

{# the activity inside each unit's pre-period, summed per unit by an inner join, then joined
    back to every assignment (zeros for units without activity): at 10M events 25 s against
    34 s for one left join grouped by assignment (BENCHMARKS.md "Incremental cost against the
    history's size") #}
pre_period_activity as (

    select
        assignment_days.experiment_id,
        assignment_days.unit_id,
        {%- for column in columns %}
            sum(unit_daily_activity.{{ column }}) as pre_{{ column }},
        {%- endfor %}
        count(unit_daily_activity.activity_date) as pre_period_active_days

    from assignment_days
    inner join unit_daily_activity
        on
            assignment_days.unit_id = unit_daily_activity.unit_id
            and assignment_days.assigned_date - {{ pre_period_days }} <= unit_daily_activity.activity_date
            and assignment_days.assigned_date > unit_daily_activity.activity_date

    group by 1, 2

),

pre_period_totals as (

    select
        assignment_days.experiment_id,
        assignment_days.unit_id,
        assignment_days.assigned_date,
        {%- for column in columns %}
            coalesce(pre_period_activity.pre_{{ column }}, 0)::{{ sql_type('float8') }} as pre_{{ column }},
        {%- endfor %}
        coalesce(pre_period_activity.pre_period_active_days, 0) as pre_period_active_days

    from assignment_days
    left join pre_period_activity
        on
            assignment_days.experiment_id = pre_period_activity.experiment_id
            and assignment_days.unit_id = pre_period_activity.unit_id

)

select * from pre_period_totals
