{#
    The column is unique, checked for the rows this build rebuilt against every row of the
    table (rebuilt_rows_only(day_column); through an index on the column this stays cheap on a
    large table). On --full-refresh or with var test_full_history: every row. Fails with one
    row per duplicated value.
#}
{% test unique_against_history(model, column_name, day_column) %}

with

rebuilt_values as (

    select {{ column_name }} as tested_value

    from {{ model }}

    where
        {{ rebuilt_rows_only(day_column) }}
        and {{ column_name }} is not null

)

select
    {{ column_name }} as duplicated_value,
    count(*) as row_count

from {{ model }}

where {{ column_name }} in (select rebuilt_values.tested_value from rebuilt_values)

group by 1

having count(*) > 1

{% endtest %}
