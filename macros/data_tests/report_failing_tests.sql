{#
    on-run-end: one log line per data test that failed or warned, naming what it returned (up
    to five rows). With the project's tests that is the tested table, the rule, the count and
    up to five offending keys; a singular test shows its first rows. The rows come from the
    stored failures when the test keeps them, else from running its compiled query again.
#}
{% macro report_failing_tests(results) %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- for result in results
        if result.node.resource_type == 'test' and result.status in ('fail', 'warn') -%}
        {%- set node = result.node -%}
        {%- if node.relation_name -%}
            {%- set query = 'select * from ' ~ node.relation_name -%}
        {%- else -%}
            {%- set query = 'select * from (\n' ~ node.compiled_code ~ '\n) as failing_rows' -%}
        {%- endif -%}
        {%- set rows = run_query(query ~ ' limit 5') -%}
        {%- set lines = [] -%}
        {%- for row in rows.rows -%}
            {%- set cells = [] -%}
            {%- for column_name in rows.column_names -%}
                {%- do cells.append(column_name ~ ': ' ~ row[column_name]) -%}
            {%- endfor -%}
            {%- do lines.append('    ' ~ cells | join('; ')) -%}
        {%- endfor -%}
        {%- do log(
            result.status | upper ~ ' ' ~ node.name ~ ' (' ~ result.failures ~ '):\n'
            ~ lines | join('\n'),
            info=True,
        ) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
