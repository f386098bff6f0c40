{#
    The UTC days of the event log this build rebuilds, as a subquery: every day whose events
    (or anything they join: their experiment, variant, policy version, the day's metric
    aggregates) changed since the last complete build, recorded in the ledger
    int_event_log_ledger, plus the days sharing a request or an event id with a changed day.
    int_event_log_days decides (once per build); models and tests read it through this macro.
    A model calling it must declare `-- depends_on: {{ ref('int_event_log_days') }}`.
#}
{% macro rebuilt_days() %}
    (
        select event_log_days.occurred_date
        from {{ ref('int_event_log_days') }} as event_log_days
        where event_log_days.is_rebuilt
    )
{% endmacro %}


{#
    The latest moment an event's timestamps may show: the start of this dbt invocation plus
    var('future_timestamp_tolerance_minutes'). A later occurred_at or received_at is a clock
    error: the event is quarantined, never trusted.
#}
{% macro event_clock_limit() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('event_clock_limit', 'experiment_analytics')()) }}
    {%- else -%}
        {{ return(default__event_clock_limit()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__event_clock_limit() %}
    ('{{ run_started_at.isoformat() }}'::timestamptz
    + interval '{{ var("future_timestamp_tolerance_minutes") }} minutes')
{% endmacro %}

{% macro spark__event_clock_limit() -%}
    (timestamp'{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
    + make_dt_interval(0, 0, {{ var("future_timestamp_tolerance_minutes") }}))
{%- endmacro %}


{#
    The relation of a model of this project by name, or none when it does not exist in the
    warehouse yet. For the relations a model reads from a previous build without a ref() (a
    ref would be a cycle: the ledger and the quarantine are built after the models that read them).
#}
{% macro existing_model_relation(model_name) %}
    {%- if execute is not defined or not execute or graph is not defined -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name == model_name -%}
        {{ return(adapter.get_relation(node.database, node.schema, node.alias)) }}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{#
    The models that rebuild whole days of the event log (incremental_strategy 'replace_days'),
    as graph nodes.
#}
{% macro day_rebuilding_models() %}
    {%- set found = [] -%}
    {%- if execute is defined and execute and graph is defined -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.get('incremental_strategy') == 'replace_days' -%}
            {%- do found.append(node) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{% endmacro %}


{#
    True when this build processes every day of the event log: a --full-refresh, no ledger
    yet (first build) or one of an older layout, or a day-rebuilding model missing from the warehouse (it must be built
    from all events, so the batch int_events_checked holds all of them).
#}
{% macro event_log_rebuilds_everything() %}
    {%- set ledger = existing_model_relation('int_event_log_ledger') -%}
    {%- if (flags is defined and flags.FULL_REFRESH) or ledger is none -%}
        {{ return(true) }}
    {%- endif -%}
    {#- a ledger written by an older version of this project (without received_through_at) #}
    {%- if 'received_through_at' not in adapter.get_columns_in_relation(ledger) | map(attribute='name') | list -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for node in day_rebuilding_models() -%}
        {%- if adapter.get_relation(node.database, node.schema, node.alias) is none -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{% endmacro %}


{#
    The models that must all run for the ledger (int_event_log_ledger) to advance: the
    day-rebuilding models and the event-log models they read. Returns the names of those this
    run does not build (selected_resources), logging them; an empty list when all run.
#}
{% macro models_missing_from_this_run() %}
    {%- set required = ['int_event_log_days', 'int_events_checked'] -%}
    {%- set missing = [] -%}
    {%- if execute is defined and execute and graph is defined -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model'
            and (node.name in required or node.config.get('incremental_strategy') == 'replace_days') -%}
            {%- if node.unique_id not in selected_resources -%}
                {%- do missing.append(node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ log('int_event_log_ledger not advanced: this run does not build ' ~ missing | join(', '), info=true) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(missing) }}
{% endmacro %}


{#
    Pre-hook of every model (dbt_project.yml): a day-rebuilding model that is about to be built
    from all events (--full-refresh, or its table does not exist) must run together with
    int_event_log_days and int_events_checked. Built alone, it would read the batch the last
    build left in int_events_checked (only the days that build processed) and publish a table
    missing every other day. Renders no SQL.
#}
{% macro assert_full_rebuild_reads_the_whole_log() %}
    {%- if not execute or model.config.get('incremental_strategy') != 'replace_days' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rebuilt_from_all_events = flags.FULL_REFRESH
        or adapter.get_relation(this.database, this.schema, this.identifier) is none -%}
    {%- set missing = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
        and node.name in ['int_event_log_days', 'int_events_checked']
        and node.unique_id not in selected_resources -%}
        {%- do missing.append(node.name) -%}
    {%- endfor -%}
    {%- if rebuilt_from_all_events and missing -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " is rebuilt from all events in this run, but the run does not build "
            ~ missing | join(' and ') ~ ", which would hold only the days the last build"
            ~ " processed: the table would lose every other day. Select its upstream too: dbt"
            ~ " build --full-refresh --select +" ~ model.name ~ "+") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
