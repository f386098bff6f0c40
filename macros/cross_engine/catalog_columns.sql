{#
    A source table's columns as the catalogue knows them: a query of rows (column_name,
    data_type), what the generic test columns_match_the_contract compares with the yml.
    PostgreSQL: information_schema.columns (its spelling, e.g. `timestamp with time zone`).
    Spark has no information_schema: the rows are the table's description (dbt-spark's
    `describe table extended`, read when the test compiles), types as Spark spells them.
#}
{% macro contract_actual_columns(relation) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('contract_actual_columns', 'experiment_analytics')(relation)) }}
    {%- else -%}
        {{ return(default__contract_actual_columns(relation)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__contract_actual_columns(relation) -%}
    select
        column_name::text as column_name,
        data_type::text as data_type

    from information_schema.columns

    where
        table_schema = '{{ relation.schema }}'
        and table_name = '{{ relation.identifier }}'
{%- endmacro %}

{% macro spark__contract_actual_columns(relation) -%}
    {%- set rows = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do rows.append("('" ~ column.name ~ "', '" ~ column.dtype | lower ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
    select * from (
        values {{ rows | join(', ') if rows else "(cast(null as string), cast(null as string))" }}
    ) as described (column_name, data_type)
{%- endmacro %}
