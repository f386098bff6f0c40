{#
    Alert "events in quarantine" (ML team and engineering), checked daily at 09:00. Rows = per
    rule x experiment, the events of exp.events that the last dbt build kept out of every mart
    because they broke a row-level rule (event_quarantine_summary: count, five sample ids, when
    the newest was received). No row while the quarantine is empty. The quarantine is a product
    of the build, not of the clock, so this is a daily digest while it lasts: one message per
    day (the quiet period is the day) until the events are fixed upstream and leave the
    quarantine with the next build; the stale-analytics alert covers a build that stopped.
#}
with

quarantine_summary as (

    select * from {{ ref('event_quarantine_summary') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

quarantine_by_rule as (

    select
        quarantine_summary.quarantine_rule,
        quarantine_summary.quarantine_rule_description,
        quarantine_summary.experiment_id,
        experiments.experiment_name,
        quarantine_summary.quarantined_event_count,
        {{ array_text('quarantine_summary.sample_event_ids', "', '") }} as sample_event_ids,
        quarantine_summary.last_received_at
    from quarantine_summary
    left join experiments
        on quarantine_summary.experiment_id = experiments.experiment_id
    where quarantine_summary.quarantined_event_count > 0

)

select * from quarantine_by_rule
order by quarantined_event_count desc, quarantine_rule asc, experiment_id asc
