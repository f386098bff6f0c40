{#
    Experiment Overview · Events by Experiment (7 days): events per experiment per UTC day, over
    the last 7 days including today (days are UTC whatever the session time zone).
#}
with

experiment_daily_events as (

    select * from {{ ref('experiment_daily_events') }}

),

last_seven_days as (

    select
        event_date,
        experiment_name,
        event_count,
        generation_count
    from experiment_daily_events
    where event_date >= {{ utc_today() }} - 6

)

select * from last_seven_days
order by event_date asc, experiment_name asc
