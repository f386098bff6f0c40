{#
    Fails on every combination of the given columns that occurs on more than one row
    (a composite key).
#}
{% test unique_combination(model, combination_of_columns) %}

select
    {% for key_column in combination_of_columns %}
        {{ key_column }},
    {% endfor %}
    count(*) as row_count

from {{ model }}

group by
    {% for key_column in combination_of_columns %}
        {{ key_column }}{% if not loop.last %},{% endif %}
    {% endfor %}

having count(*) > 1

{% endtest %}
