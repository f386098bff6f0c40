{#
    What every failing data test reports: one row naming the tested table, the rule, how many
    failures and up to five offending keys (README "Failures a user can act on"). The four
    built-in generic tests (builtin_tests.sql) end with data_test_failure_summary(); their
    fail_calc sums failure_count, so dbt's count is the one it always printed.
#}

{#
    The unique_id of the model, source, seed or snapshot a data test node is attached to (dbt
    sets attached_node for tests on models; a test on a source names it in its `model` kwarg).
#}
{% macro data_test_subject_id(test_node) %}
    {%- if test_node.get('attached_node') -%}
        {{ return(test_node.attached_node) }}
    {%- endif -%}
    {%- set kwargs = (test_node.get('test_metadata') or {}).get('kwargs') or {} -%}
    {%- set named = modules.re.search(
        "source\\(\\s*['\"]([^'\"]+)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]",
        kwargs.get('model') or '') -%}
    {%- if named -%}
        {{ return('source.' ~ test_node.package_name ~ '.' ~ named.group(1) ~ '.' ~ named.group(2)) }}
    {%- endif -%}
    {{ return(test_node.depends_on.nodes | first) }}
{% endmacro %}


{#
    The relation (schema.name) of what the running data test is attached to and, with
    with_keys, its key columns: those of a primary_key constraint (model or column level), else
    those carrying a unique test, else the first documented column. Empty at parse time.
#}
{% macro data_test_subject(with_keys=false) %}
    {%- set subject = {'relation': '', 'key_columns': []} -%}
    {%- if not execute -%}
        {{ return(subject) }}
    {%- endif -%}
    {#- `model` here is the running test node (the test macros' own `model` is a relation) -#}
    {%- set parent_id = data_test_subject_id(model) -%}
    {%- set parent = graph.nodes.get(parent_id) or graph.sources.get(parent_id) -%}
    {%- if parent is none -%}
        {{ return(subject) }}
    {%- endif -%}
    {%- set identifier = parent.get('alias') or parent.get('identifier') or parent.name -%}
    {%- do subject.update({'relation': parent.schema ~ '.' ~ identifier}) -%}
    {%- if not with_keys -%}
        {{ return(subject) }}
    {%- endif -%}
    {%- set keys = [] -%}
    {%- for constraint in parent.get('constraints') or [] -%}
        {%- if constraint.type == 'primary_key' -%}
            {%- do keys.extend(constraint.columns) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in (parent.get('columns') or {}).values() -%}
        {%- if column.get('constraints') | selectattr('type', 'equalto', 'primary_key') | list -%}
            {%- do keys.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not keys -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'test' -%}
            {%- set test_name = (node.get('test_metadata') or {}).get('name') -%}
            {%- if test_name == 'unique' and node.get('column_name')
                and node.column_name not in keys and data_test_subject_id(node) == parent_id -%}
                {%- do keys.append(node.column_name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not keys and parent.columns -%}
        {%- do keys.append(parent.columns.keys() | first) -%}
    {%- endif -%}
    {%- do subject.update({'key_columns': keys | sort}) -%}
    {{ return(subject) }}
{% endmacro %}


{#
    The final select of a data test over a CTE `failures` (one row per failure or per failing
    value, a text column `failing_key`): one row when anything failed, none otherwise.
#}
{% macro data_test_failure_summary(rule, failure_count='count(*)') %}
select
    '{{ data_test_subject().relation }}' as tested_relation,
    '{{ rule }}' as data_test_rule,
    {{ failure_count }} as failure_count,
    {{ sorted_text_sample('failing_key', "', '", 5) }} as sample_keys

from failures

having count(*) > 0
{% endmacro %}


{# `value (n rows)`: a failing value and how many rows hold it, as text. #}
{% macro data_test_value_with_rows(value, row_count) -%}
    {{ dbt.concat([
        "coalesce(cast(" ~ value ~ " as " ~ dbt.type_string() ~ "), 'null')",
        "' ('",
        "cast(" ~ row_count ~ " as " ~ dbt.type_string() ~ ")",
        "case when " ~ row_count ~ " = 1 then ' row)' else ' rows)' end",
    ]) }}
{%- endmacro %}


{# The key of a row as text: `col=value`, joined by ', ' for a composite key. #}
{% macro data_test_row_key(key_columns) -%}
    {%- set parts = [] -%}
    {%- for column in key_columns -%}
        {%- if not loop.first -%}{%- do parts.append("', '") -%}{%- endif -%}
        {%- do parts.append("'" ~ column ~ "='") -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
    {%- endfor -%}
    {%- if parts -%}{{ dbt.concat(parts) }}{%- else -%}cast(null as {{ dbt.type_string() }}){%- endif -%}
{%- endmacro %}
