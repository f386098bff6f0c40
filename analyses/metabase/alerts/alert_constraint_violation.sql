{#
    Alert "constraint violation" (critical). Returns one row per generation with a constraint
    respect score below 1.0 that the platform RECEIVED in the last hour, and no row otherwise.
    Reads the staging view over exp.events, so it is real time (no dbt build needed). Received
    time rather than occurred time, so a late event still alerts; occurred_at is bounded by the
    late-event lookback so the scan stays on the occurred_at index.
#}
with

events as (

    select * from {{ ref('stg_exp__events') }}

),

variants as (

    select * from {{ ref('variants') }}

),

violations_received_last_hour as (

    select
        request_id,
        experiment_id,
        variant_id,
        policy_version_id,
        constraint_respect_score,
        occurred_at,
        received_at
    from events
    where
        event_type = 'generation'
        and constraint_respect_score < 1.0
        and received_at >= now() - interval '1 hour'
        and occurred_at >= now() - interval '{{ var("late_event_lookback_hours") }} hours'

),

violations_with_names as (

    select
        violations_received_last_hour.request_id,
        violations_received_last_hour.experiment_id,
        violations_received_last_hour.variant_id,
        violations_received_last_hour.policy_version_id,
        variants.experiment_name,
        variants.variant_name,
        violations_received_last_hour.constraint_respect_score,
        violations_received_last_hour.occurred_at,
        violations_received_last_hour.received_at
    from violations_received_last_hour
    left join variants
        on violations_received_last_hour.variant_id = variants.variant_id

)

select * from violations_with_names
order by occurred_at desc, request_id asc
