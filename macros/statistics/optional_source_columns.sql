{#
    The columns of a source relation that exist in the warehouse (lower-case names, as text
    separated by spaces: callers split), for source
    columns the contract marks optional: a staging model selects such a column when present and
    a documented default otherwise. Empty while dbt parses (no database) and when linting.
#}
{% macro existing_source_columns(relation) -%}
    {%- set names = [] -%}
    {%- if execute is defined and execute -%}
        {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
        {%- if found is not none -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do names.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{- names | join(" ") -}}
{%- endmacro %}
