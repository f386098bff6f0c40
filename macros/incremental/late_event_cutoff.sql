{#
    The watermark of an incremental model over the event log: the newest `received_at` it has
    already processed, minus var('late_event_lookback_hours'). Rows received after the cutoff
    are reprocessed, together with every other row of the UTC days they touch, so events the
    platform stores out of order within the window are still counted exactly once.
#}
{% macro late_event_cutoff(column_name='last_received_at') %}
    (
        select
            coalesce(max({{ column_name }}), '-infinity'::timestamptz)
            - interval '{{ var("late_event_lookback_hours") }} hours'
        from {{ this }}
    )
{% endmacro %}
