{#
    The record of dbt invocations that the stale-analytics alert reads (README "Running it on a
    schedule"). One row per `dbt build` / `run` / `test` / `seed` / `snapshot` invocation, written
    by the on-run-end hook; the table is created (once, never dropped or truncated by dbt: it is
    not a model) by the on-run-start hook. Metabase's reader role reads it only through the view
    stg_dbt__build_history (granted like the marts), never the table itself.

    is_complete_success: every model of the project that materializes (ephemeral ones have no
    result of their own) was built by this invocation, and no node errored, failed or was
    skipped. `dbt build`, `dbt build --full-refresh` and `dbt run` of the whole project count;
    a `--select`ed part of it, or a run whose model or test failed, does not.
#}
{% macro build_history_relation() -%}
    {{ target.schema }}.dbt_build_history
{%- endmacro %}

{% macro build_history_ddl() -%}
    {{ return(adapter.dispatch('build_history_ddl', 'experiment_analytics')()) }}
{%- endmacro %}

{% macro default__build_history_ddl() -%}
    create schema if not exists {{ target.schema }};
    create table if not exists {{ build_history_relation() }} (
        invocation_id text primary key,
        command text not null,
        started_at timestamptz not null,
        finished_at timestamptz not null,
        models_in_project integer not null,
        models_built integer not null,
        nodes_failed integer not null,
        nodes_skipped integer not null,
        is_complete_success boolean not null
    );
{%- endmacro %}

{#
    On Spark: a parquet table, the same columns in Spark's types (timestamps are instants shown
    in the session's UTC). Spark has no primary key: the on-run-end hook inserts a row only when
    its invocation_id is not there yet. A hook is one statement on Spark: the schema is created
    first by its own statement.
#}
{% macro spark__build_history_ddl() -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists ' ~ target.schema) -%}
    {%- endif -%}
    create table if not exists {{ build_history_relation() }} (
        invocation_id string not null,
        command string not null,
        started_at timestamp not null,
        finished_at timestamp not null,
        models_in_project int not null,
        models_built int not null,
        nodes_failed int not null,
        nodes_skipped int not null,
        is_complete_success boolean not null
    ) using parquet
{%- endmacro %}

{% macro record_build_history(results) -%}
    {%- if execute -%}
        {%- set models = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.config.materialized != 'ephemeral' -%}
                {%- do models.append(node.unique_id) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set built = [] -%}
        {%- set failed = [] -%}
        {%- set skipped = [] -%}
        {%- for result in results -%}
            {%- set status = result.status | string | lower -%}
            {%- if result.node.resource_type == 'model' and status.endswith('success') -%}
                {%- do built.append(result.node.unique_id) -%}
            {%- elif status.endswith('error') or status.endswith('fail') -%}
                {%- do failed.append(result.node.unique_id) -%}
            {%- elif status.endswith('skipped') -%}
                {%- do skipped.append(result.node.unique_id) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set complete = (built | unique | list | length) == (models | length)
            and failed | length == 0 and skipped | length == 0 -%}
        {{ adapter.dispatch('insert_build_history', 'experiment_analytics')(
            models | length, built | unique | list | length, failed | length, skipped | length, complete) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro default__insert_build_history(models_in_project, models_built, nodes_failed, nodes_skipped, complete) -%}
        insert into {{ build_history_relation() }} values (
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            '{{ run_started_at.isoformat() }}'::timestamptz,
            clock_timestamp(),
            {{ models_in_project }},
            {{ models_built }},
            {{ nodes_failed }},
            {{ nodes_skipped }},
            {{ 'true' if complete else 'false' }}
        )
        on conflict (invocation_id) do nothing
{%- endmacro %}

{% macro spark__insert_build_history(models_in_project, models_built, nodes_failed, nodes_skipped, complete) -%}
    insert into {{ build_history_relation() }}
    select
        '{{ invocation_id }}',
        '{{ flags.WHICH }}',
        timestamp'{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}',
        current_timestamp(),
        {{ models_in_project }},
        {{ models_built }},
        {{ nodes_failed }},
        {{ nodes_skipped }},
        {{ 'true' if complete else 'false' }}
    where not exists (
        select 1 from {{ build_history_relation() }} where invocation_id = '{{ invocation_id }}'
    )
{%- endmacro %}
