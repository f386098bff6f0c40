{#
    The source table has every column its yml declares with a data_type, of that type
    (information_schema spelling, e.g. `timestamp with time zone`; on Spark the types as Spark
    spells them, from the table's description: macros/cross_engine/catalog_columns.sql).
    Fails with one row per missing column or column of another type: a contract break, which
    fails the build.
#}
{% test columns_match_the_contract(model) %}

with

expected_columns as (

    select * from (
        values {{ contract_columns_values(model) }}
    ) as contract (column_name, data_type)

),

actual_columns as (

    {{ contract_actual_columns(model) }}

)

select
    '{{ model.schema }}.{{ model.identifier }}' as source_table,
    expected_columns.column_name,
    expected_columns.data_type as contract_data_type,
    actual_columns.data_type as actual_data_type,
    case
        when actual_columns.column_name is null then 'column missing'
        else 'column of another type'
    end as contract_break

from expected_columns
left join actual_columns
    on expected_columns.column_name = actual_columns.column_name

where
    expected_columns.column_name is not null
    and (
        actual_columns.column_name is null
        or actual_columns.data_type <> expected_columns.data_type
    )

{% endtest %}
