{#
    The rows a data test checks. On an incremental `dbt build` (or `dbt test`), tests over
    event-log-sized relations check only the window the incremental models reprocess: rows whose
    `column_name` is within var('late_event_lookback_hours') of the newest value of that column
    in `relation`. On a `--full-refresh` run, or with `--vars '{test_full_history: true}'`, they
    check every row. Returns a SQL predicate.
#}
{% macro incremental_test_window(column_name, relation) %}
    {%- if (flags is defined and flags.FULL_REFRESH) or var('test_full_history', false) -%}
        true
    {%- else -%}
        {{ column_name }} > (
            select max(newest.{{ column_name }}) - interval '{{ var("late_event_lookback_hours") }} hours'
            from {{ relation }} as newest
        )
    {%- endif -%}
{% endmacro %}


{#
    dbt's hook for the `where` config of generic tests, overridden so that a test can say
    `where: "__incremental_test_window(<column>)__"`: the placeholder becomes
    incremental_test_window(<column>, <the tested relation>) at run time (a `where` config cannot
    call a project macro itself: it is rendered when the project is parsed).
#}
{% macro get_where_subquery(relation) -%}
    {%- set filter = namespace(where=config.get('where')) -%}
    {%- if filter.where -%}
        {%- set placeholder = '__incremental_test_window[(]([A-Za-z0-9_]+)[)]__' -%}
        {%- for column_name in modules.re.findall(placeholder, filter.where) -%}
            {%- set filter.where = filter.where | replace(
                '__incremental_test_window(' ~ column_name ~ ')__',
                incremental_test_window(column_name, relation)
            ) -%}
        {%- endfor -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ filter.where ~ ') as dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
