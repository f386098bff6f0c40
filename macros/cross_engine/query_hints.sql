{#
    What each engine is told about how to run a query, beyond its result.
#}

{#
    `with <name> as {{ cte_not_materialized() }} (...)`: PostgreSQL inlines the CTE instead of
    copying it first (it is read more than once); Spark always inlines CTEs: nothing.
#}
{% macro cte_not_materialized() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('cte_not_materialized', 'experiment_analytics')()) }}
    {%- else -%}
        {{ return(default__cte_not_materialized()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__cte_not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro spark__cte_not_materialized() -%}
{%- endmacro %}


{#
    `where <column> {{ in_few_values('select ...') }}`: the column is one of the few values a
    subquery returns, looked up by the column's index whatever the planner expects of the
    subquery's size. PostgreSQL: `= any(array(subquery))`, an index scan on the computed array
    (an `in (subquery)` may be planned as a hash join that reads the whole table); Spark: `in`.
#}
{% macro in_few_values(subquery) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('in_few_values', 'experiment_analytics')(subquery)) }}
    {%- else -%}
        {{ return(default__in_few_values(subquery)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__in_few_values(subquery) -%}
    = any(array({{ subquery }}))
{%- endmacro %}

{% macro spark__in_few_values(subquery) -%}
    in ({{ subquery }})
{%- endmacro %}

{# The statement refreshing the planner's statistics of a table just built (a post-hook). #}
{% macro analyze_table(relation) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('analyze_table', 'experiment_analytics')(relation)) }}
    {%- else -%}
        {{ return(default__analyze_table(relation)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__analyze_table(relation) -%}
    analyze {{ relation }}
{%- endmacro %}

{% macro spark__analyze_table(relation) -%}
    analyze table {{ relation }} compute statistics
{%- endmacro %}


{#
    The first row per `partition_by` (a list of columns) of `relation` in the order of
    `order_by` (a list of `<column> asc|desc`; the partition columns need not be repeated): a
    complete select statement.
#}
{% macro first_row_per(relation, partition_by, order_by) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('first_row_per', 'experiment_analytics')(relation, partition_by, order_by)) }}
    {%- else -%}
        {{ return(default__first_row_per(relation, partition_by, order_by)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__first_row_per(relation, partition_by, order_by) -%}
    select distinct on ({{ partition_by | join(', ') }}) *

    from {{ relation }}

    order by {{ partition_by | join(' asc, ') }} asc, {{ order_by | join(', ') }}
{%- endmacro %}

{% macro spark__first_row_per(relation, partition_by, order_by) -%}
    select *

    from {{ relation }}

    qualify row_number() over (partition by {{ partition_by | join(', ') }} order by {{ order_by | join(', ') }}) = 1
{%- endmacro %}
