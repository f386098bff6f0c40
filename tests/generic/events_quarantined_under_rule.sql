{#
    Warns when events of exp.events were quarantined under `rule` in the days this build
    rebuilt (every day on --full-refresh): one row naming the source table and the rule, with
    how many events and up to five of their ids. The warning's count is the number of
    events (fail_calc); the rows are in event_quarantine, the totals in event_quarantine_summary.
#}
{% test events_quarantined_under_rule(model, rule) %}
{{ config(severity='warn', fail_calc='coalesce(sum(quarantined_event_count), 0)') }}

select
    'exp.events' as source_table,
    '{{ rule }}' as quarantine_rule,
    count(*) as quarantined_event_count,
    {{ smallest_values('event_id', 5) }} as sample_event_ids

from {{ model }}

where
    quarantine_rule = '{{ rule }}'
    and {{ rebuilt_rows_only('occurred_date') }}

having count(*) > 0

{% endtest %}
