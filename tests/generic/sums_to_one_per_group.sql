{#
    Fails on every group whose column does not sum to 1 within the tolerance (e.g. the
    allocations of an experiment's variants).
#}
{% test sums_to_one_per_group(model, column_name, group_by_columns, tolerance=0.000001) %}

select
    {% for group_column in group_by_columns %}
        {{ group_column }},
    {% endfor %}
    sum({{ column_name }}) as column_total

from {{ model }}

group by
    {% for group_column in group_by_columns %}
        {{ group_column }}{% if not loop.last %},{% endif %}
    {% endfor %}

having abs(coalesce(sum({{ column_name }}), 0) - 1) > {{ tolerance }}

{% endtest %}
