{#
    The columns a source table's yml declares with a data_type, as the rows of a SQL VALUES
    list `('name', 'type'), ...` (`(null, null)` when none; each type as the target engine
    spells it, sql_type): what the generic test columns_match_the_contract compares with the
    catalogue (contract_actual_columns).
#}
{% macro contract_columns_values(relation) %}
    {%- set rows = [] -%}
    {%- if execute -%}
        {%- for source_node in graph.sources.values()
            if source_node.schema == relation.schema and source_node.identifier == relation.identifier -%}
            {%- for column in source_node.columns.values() if column.data_type -%}
                {%- do rows.append("('" ~ column.name ~ "', '" ~ sql_type(column.data_type) ~ "')") -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ rows | join(', ') if rows else '(null, null)' }}
{%- endmacro %}
