{#
    Contract constraints on Spark (README "Running on Apache Spark", Constraints). dbt-spark adds
    a model's constraints with ALTER TABLE after creating it whenever file_format is unset (it
    assumes Delta); the project's tables are plain parquet (dbt-spark's default format), which
    support neither ADD CONSTRAINT nor SET NOT NULL, so the build would fail. Here they are added
    only to a table whose file_format is explicitly 'delta' (Delta enforces not null and check;
    no Spark format enforces a primary key); otherwise the contract's column names and types are
    still enforced and each constraint is logged as not enforced.
#}
{% macro spark__persist_constraints(relation, model) %}
    {%- set contract_config = config.get('contract') -%}
    {%- if contract_config.enforced and config.get('file_format') == 'delta' -%}
        {%- do alter_table_add_constraints(relation, model.constraints) -%}
        {%- do alter_column_set_constraints(relation, model.columns) -%}
    {%- elif contract_config.enforced -%}
        {%- set declared = model.constraints | map(attribute='type') | list -%}
        {%- for column in model.columns.values() -%}
            {%- for constraint in column.constraints -%}
                {%- do declared.append(column.name ~ ' ' ~ constraint.type) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if declared -%}
            {{ log(relation ~ ': constraints not enforced on Spark parquet tables: ' ~ declared | join(', ')) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
