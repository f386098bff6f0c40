{#
    The rows a data test over an event-log-sized relation checks, as a SQL predicate on the
    relation's UTC day column: on an incremental build, the rows of the days this build rebuilt
    (rebuilt_days(): every day whose source changed since the last complete build, however
    long ago that build was); after a `dbt run`, a `dbt test` checks the days that run rebuilt.
    On `--full-refresh`, or with `--vars '{test_full_history: true}'`: every row (`true`).
    The days are those of the newest int_event_log_days, found in the graph (a test cannot
    ref() a model it does not depend on).
#}
{% macro rebuilt_rows_only(day_column) %}
    {%- set event_log_days = existing_model_relation('int_event_log_days') -%}
    {%- if (flags is defined and flags.FULL_REFRESH) or var('test_full_history', false)
        or event_log_days is none -%}
        true
    {%- else -%}
        {{ day_column }} in (
            select tested_days.occurred_date
            from {{ event_log_days }} as tested_days
            where tested_days.is_rebuilt
        )
    {%- endif -%}
{% endmacro %}


{#
    dbt's hook for the `where` config of generic tests, overridden so that a test can say
    `where: "__rebuilt_rows_only(<day column>)__"`: the placeholder becomes
    rebuilt_rows_only(<day column>) at run time (a `where` config cannot call a project macro
    itself: it is rendered when the project is parsed, before --full-refresh is known).
#}
{% macro get_where_subquery(relation) -%}
    {%- set filter = namespace(where=config.get('where')) -%}
    {%- if filter.where -%}
        {%- set placeholder = '__rebuilt_rows_only[(]([A-Za-z0-9_]+)[)]__' -%}
        {%- for column_name in modules.re.findall(placeholder, filter.where) -%}
            {%- set filter.where = filter.where | replace(
                '__rebuilt_rows_only(' ~ column_name ~ ')__',
                rebuilt_rows_only(column_name)
            ) -%}
        {%- endfor -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ filter.where ~ ') as dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
