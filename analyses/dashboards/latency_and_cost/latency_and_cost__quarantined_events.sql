{#
    Latency & Cost · Quarantined Events: per rule x experiment, the events of exp.events that
    the last dbt build kept out of every mart because they broke a row-level rule (README "What
    the warehouse guarantees"): how many, up to five sample ids and when the newest was
    received. Empty while nothing is quarantined. On this dashboard because the feed's health is
    engineering's to fix (Engineering and the ML team see it; metabase/README.md "Alerts").
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
        experiments.experiment_name,
        quarantine_summary.quarantined_event_count,
        {{ array_text('quarantine_summary.sample_event_ids', "', '") }} as sample_event_ids,
        quarantine_summary.last_received_at
    from quarantine_summary
    left join experiments
        on quarantine_summary.experiment_id = experiments.experiment_id

)

select * from quarantine_by_rule
order by quarantined_event_count desc, quarantine_rule asc, experiment_name asc
