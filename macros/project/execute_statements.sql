{#
    Run a list of SQL statements, in order, through dbt's connection to the target (one
    statement per call: Spark runs one at a time). `experiment-analytics spark load-demo` uses it
    to create the exp source tables on Spark and load the demo files into them (it refuses a
    target other than the local `spark` output unless told --allow-other-warehouse).
#}
{% macro execute_statements(statements) %}
    {%- for statement in statements -%}
        {{ log('statement ' ~ loop.index ~ '/' ~ statements | length ~ ': ' ~ (statement.split('\n')[0])[:100], info=true) }}
        {%- do run_query(statement) -%}
    {%- endfor -%}
{% endmacro %}
