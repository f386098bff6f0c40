{#
    The quarantine at a glance, ready for a Metabase card or alert: per source table x rule x
    experiment, how many events are quarantined, up to five of their ids, and when the newest
    one was received. Empty when nothing is quarantined.
#}
with

event_quarantine as (

    select * from {{ ref('event_quarantine') }}

),

quarantine_by_rule as (

    select
        'exp.events' as source_table,
        quarantine_rule,
        quarantine_rule_description,
        experiment_id,
        count(*) as quarantined_event_count,
        {{ smallest_values('event_id', 5) }} as sample_event_ids,
        min(occurred_date) as first_occurred_date,
        max(occurred_date) as last_occurred_date,
        max(received_at) as last_received_at

    from event_quarantine

    group by 1, 2, 3, 4

)

select * from quarantine_by_rule
