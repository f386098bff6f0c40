{#
    Alert "no events in the last hour" (on-call). Returns one row when the newest event in
    exp.events occurred more than an hour ago (or there is no event at all), saying since when;
    no row while events flow. Reads the staging view over exp.events, so it is real time; the
    newest occurred_at comes from the occurred_at index.
#}
with

events as (

    select * from {{ ref('stg_exp__events') }}

),

newest_event as (

    select max(occurred_at) as last_event_at
    from events

),

silence as (

    select
        case
            when last_event_at is null then 'No events have ever been received'
            else
                'No events since '
                || to_char(last_event_at at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS')
                || ' UTC'
        end as message,
        round(extract(epoch from now() - last_event_at)::numeric / 60) as minutes_without_events,
        last_event_at,
        now() as checked_at
    from newest_event
    where
        last_event_at is null
        or last_event_at < now() - interval '1 hour'

)

select * from silence
order by last_event_at asc
