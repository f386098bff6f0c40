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


{#
    The UTC generation days an incremental daily mart rebuilds: every day that holds a
    generation received after the model's late_event_cutoff. `generations` names the CTE (or
    relation) of the `generations` mart in the calling model.
#}
{% macro generated_days_to_rebuild(generations='generations') %}
    (
        select distinct recent_generations.generated_date
        from {{ generations }} as recent_generations
        where recent_generations.last_received_at > {{ late_event_cutoff('last_received_at') }}
    )
{% endmacro %}
