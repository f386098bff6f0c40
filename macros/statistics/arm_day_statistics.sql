{#
    How the card tables arm_day_pair_statistics and arm_day_unit_entries (incremental,
    replace_days) stay equal to a full rebuild when their other input changes.

    Their rows are built from unit_daily_statistics (event-log days: replaced by day) and from
    unit_pre_period_statistics, the units' pre-period activity (CUPED), which is rebuilt in full
    from the sources exp.assignments and exp.unit_daily_activity, not from the event log. A change
    there (a late or corrected assignment, corrected pre-period activity) changes rows of days
    the event log did not rebuild. Decision: the pre-period products stay in the card tables
    (the cards read them in constant time), and a build that finds the pre-period of the units
    already counted changed rebuilds every day of both tables. "Already counted": the units
    assigned up to the last day the previous complete build held (a unit has no generation
    before its assignment), so a new day's new units, the everyday case, rebuild nothing more.
    The comparison: a fingerprint (unit count and an order-independent sum of row hashes) of
    those units' unit_pre_period_statistics rows, recorded after both tables were built by
    int_arm_day_pre_period_ledger, recomputed now. No ledger yet (first build), or a failed build of
    a card table (the ledger, built after them, kept its old row): every day again.
#}

{# The fingerprint of unit_pre_period_statistics' rows of the units assigned on or before
   `through_date` (SQL expression), as one row (unit_count, pre_period_fingerprint). #}
{% macro arm_day_pre_period_fingerprint(pre_period, through_date) -%}
    select
        count(*) as unit_count,
        coalesce(sum({{ text_hash64_numeric(row_text('pre_period')) }}), 0) as pre_period_fingerprint
    from {{ pre_period }} as pre_period
    where pre_period.assigned_date <= {{ through_date }}
{%- endmacro %}


{#
    True when this build of a card table must compute every day, not only the rebuilt ones: not
    incremental, the event log is rebuilt in full, or the pre-period of the units already counted
    changed (or cannot be checked: no ledger). Logs why.
#}
{% macro arm_day_statistics_rebuild_every_day() %}
    {%- if not execute or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if event_log_rebuilds_everything() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set ledger = existing_model_relation('int_arm_day_pre_period_ledger') -%}
    {%- if ledger is none -%}
        {%- do log(model.name ~ ': every day rebuilt (no int_arm_day_pre_period_ledger yet)', info=true) -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set compared -%}
        select
            recorded.unit_count = current_state.unit_count
            and recorded.pre_period_fingerprint = current_state.pre_period_fingerprint
        from {{ ledger }} as recorded
        cross join lateral (
            {{ arm_day_pre_period_fingerprint(ref('unit_pre_period_statistics'), 'recorded.through_date') }}
        ) as current_state
    {%- endset -%}
    {%- set rows = run_query(compared).rows -%}
    {%- if rows | length != 1 or not rows[0][0] -%}
        {%- do log(model.name ~ ': every day rebuilt (the pre-period of units already counted changed'
            ~ ' since the last complete build: unit_pre_period_statistics)', info=true) -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(false) }}
{% endmacro %}
