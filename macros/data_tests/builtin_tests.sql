{#
    dbt's four built-in generic tests, overridden in this project: a generic test of the root
    project takes precedence over dbt's own of the same name (and the `default__test_<name>`
    macros below over dbt's, which dispatch in its namespace finds in the root project first).
    Each fails on exactly what dbt's own version fails on and counts what it counted (rows for
    not_null and relationships, distinct values for unique and accepted_values: fail_calc sums
    failure_count), but returns one row: the table, the rule, that count and up to five
    offending keys (failure_summary.sql). The test blocks are defined here, not only the
    dispatched macros, because dbt sets the config of its own not_null and unique without
    rendering them, so their fail_calc would be lost.
#}

{% test unique(model, column_name) %}
    {{ config(fail_calc='coalesce(sum(failure_count), 0)') }}
    {{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
{% endtest %}


{% test not_null(model, column_name) %}
    {{ config(fail_calc='coalesce(sum(failure_count), 0)') }}
    {{ adapter.dispatch('test_not_null', 'dbt')(model, column_name) }}
{% endtest %}


{% test accepted_values(model, column_name, values, quote=True) %}
    {{ config(fail_calc='coalesce(sum(failure_count), 0)') }}
    {{ adapter.dispatch('test_accepted_values', 'dbt')(model, column_name, values, quote) }}
{% endtest %}


{% test relationships(model, column_name, to, field) %}
    {{ config(fail_calc='coalesce(sum(failure_count), 0)') }}
    {{ adapter.dispatch('test_relationships', 'dbt')(model, column_name, to, field) }}
{% endtest %}


{% macro default__test_unique(model, column_name) %}

with

failures as (

    select
        {{ data_test_value_with_rows(column_name, 'count(*)') }} as failing_key

    from {{ model }}

    where {{ column_name }} is not null

    group by {{ column_name }}

    having count(*) > 1

)

{{ data_test_failure_summary('unique(' ~ column_name ~ ')') }}

{% endmacro %}


{% macro default__test_not_null(model, column_name) %}
{%- set key_columns = data_test_subject(with_keys=true).key_columns | reject('equalto', column_name) | list -%}

with

failures as (

    select
        {{ data_test_row_key(key_columns) }} as failing_key

    from {{ model }}

    where {{ column_name }} is null

)

{{ data_test_failure_summary('not_null(' ~ column_name ~ ')') }}

{% endmacro %}


{% macro default__test_accepted_values(model, column_name, values, quote=True) %}

with

all_values as (

    select
        {{ column_name }} as value_field,
        count(*) as row_count

    from {{ model }}

    group by {{ column_name }}

),

failures as (

    select
        {{ data_test_value_with_rows('value_field', 'row_count') }} as failing_key

    from all_values

    where value_field not in (
        {%- for value in values -%}
            {%- if quote -%}'{{ value }}'{%- else -%}{{ value }}{%- endif -%}
            {%- if not loop.last -%}, {% endif -%}
        {%- endfor -%}
    )

)

{{ data_test_failure_summary('accepted_values(' ~ column_name ~ ')') }}

{% endmacro %}


{% macro default__test_relationships(model, column_name, to, field) %}
{%- set to_name = (to.schema ~ '.' ~ to.identifier) if to.identifier is defined else to | string -%}

with

child as (

    select {{ column_name }} as from_field

    from {{ model }}

    where {{ column_name }} is not null

),

parent as (

    select {{ field }} as to_field

    from {{ to }}

),

orphans as (

    select
        child.from_field,
        count(*) as row_count

    from child

    left join parent
        on child.from_field = parent.to_field

    where parent.to_field is null

    group by child.from_field

),

failures as (

    select
        row_count,
        {{ data_test_value_with_rows('from_field', 'row_count') }} as failing_key

    from orphans

)

{{ data_test_failure_summary(
    'relationships(' ~ column_name ~ ' -> ' ~ to_name ~ '.' ~ field ~ ')',
    failure_count='sum(row_count)',
) }}

{% endmacro %}
