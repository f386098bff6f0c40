{#
    Alert "analytics are stale" (on-call), checked every 15 minutes. The marts, dashboards and
    the quarantine are only as fresh as the last complete successful dbt build, so a stopped
    scheduler, or a build that fails every time, is an incident of its own. The condition holds
    at a check when no complete successful build (is_complete_success in the project's record of
    its dbt invocations, macros/alerting/build_history.sql) finished in the
    alert_stale_build_hours (3) before it; before the first such build, the hours count from
    the first recorded invocation. One message per incident: a row only at the check where the
    condition starts to hold (it did not at the previous check slot), saying since when and
    what the last invocation did. A complete build ends the incident.
#}
{%- set step = '15 minutes' -%}
{%- set limit_hours = var('alert_stale_build_hours', 3) -%}
with

build_history as (

    select * from {{ ref('stg_dbt__build_history') }}

),

check_slots as (

    select
        {{ alert_check_slot(step) }} as checked_up_to,
        {{ alert_check_slot(step) }} - interval '{{ step }}' as previous_check

),

fresh_as_of as (

    -- per check instant: since when the analytics are fresh (the newest complete build),
    -- or, before any, the first recorded invocation
    select
        check_slots.checked_up_to,
        check_slots.previous_check,
        (
            select max(complete_now.finished_at)
            from build_history as complete_now
            where
                complete_now.is_complete_success
                and complete_now.finished_at <= check_slots.checked_up_to
        ) as last_complete_build_at,
        coalesce(
            (
                select max(complete_now.finished_at)
                from build_history as complete_now
                where
                    complete_now.is_complete_success
                    and complete_now.finished_at <= check_slots.checked_up_to
            ),
            (
                select min(first_now.started_at)
                from build_history as first_now
                where first_now.started_at <= check_slots.checked_up_to
            )
        ) as fresh_since_now,
        coalesce(
            (
                select max(complete_before.finished_at)
                from build_history as complete_before
                where
                    complete_before.is_complete_success
                    and complete_before.finished_at <= check_slots.previous_check
            ),
            (
                select min(first_before.started_at)
                from build_history as first_before
                where first_before.started_at <= check_slots.previous_check
            )
        ) as fresh_since_previous_check
    from check_slots

),

last_invocation as (

    select
        command,
        finished_at,
        nodes_failed,
        nodes_skipped,
        models_built,
        models_in_project
    from build_history
    where finished_at <= (select check_slots.checked_up_to from check_slots)
    order by finished_at desc
    limit 1

),

stale_starts as (

    select
        case
            when fresh_as_of.last_complete_build_at is null
                then 'No complete successful dbt build yet'
            else
                'No complete successful dbt build since '
                || {{ utc_timestamp_text('fresh_as_of.last_complete_build_at') }}
                || ' UTC'
        end as message,
        fresh_as_of.last_complete_build_at,
        round(
            {{ seconds_between(
                'fresh_as_of.checked_up_to', 'fresh_as_of.fresh_since_now'
            ) }}::{{ sql_type('numeric') }}
            / 3600,
            1
        ) as hours_stale,
        {{ limit_hours }} as limit_hours,
        last_invocation.command as last_invocation_command,
        last_invocation.finished_at as last_invocation_finished_at,
        last_invocation.nodes_failed as last_invocation_nodes_failed,
        last_invocation.models_built as last_invocation_models_built,
        last_invocation.models_in_project,
        fresh_as_of.checked_up_to as checked_at
    from fresh_as_of
    left join last_invocation on true
    where
        fresh_as_of.fresh_since_now <= fresh_as_of.checked_up_to - interval '{{ limit_hours }} hours'
        and fresh_as_of.fresh_since_previous_check
        > fresh_as_of.previous_check - interval '{{ limit_hours }} hours'

)

select * from stale_starts
order by checked_at asc
