{#
    Model contracts on Spark: the yml `data_type`s are PostgreSQL's names (text, double
    precision, timestamp with time zone, ...), the one spelling the docs and Metabase show.
    dbt checks a contract by comparing the model's columns with an empty query built from those
    types; on Spark that query spells each type the Spark way (sql_type), so the same contract
    is enforced on both engines without a second set of yml files.
#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set cols = [] -%}
    {%- for column in columns.values() -%}
        {%- set name = adapter.quote(column.name) if column.quote else column.name -%}
        {%- if column.data_type -%}
            {%- do cols.append('cast(null as ' ~ sql_type(column.data_type) ~ ') as ' ~ name) -%}
        {%- else -%}
            {%- do cols.append('null as ' ~ name) -%}
        {%- endif -%}
    {%- endfor -%}
    select {{ cols | join(', ') }}
{% endmacro %}
