{#
    Fails on every row whose column lies outside [min_value, max_value]. Either bound may be
    omitted; nulls pass (pair with not_null where a value is required).
#}
{% test values_between(model, column_name, min_value=none, max_value=none) %}
    {%- set out_of_range = [] -%}
    {%- if min_value is not none -%}
        {%- set _ = out_of_range.append(column_name ~ ' < ' ~ min_value) -%}
    {%- endif -%}
    {%- if max_value is not none -%}
        {%- set _ = out_of_range.append(column_name ~ ' > ' ~ max_value) -%}
    {%- endif -%}

select {{ column_name }} as out_of_range_value

from {{ model }}

where
    {{ column_name }} is not null
    and ({{ out_of_range | join(' or ') if out_of_range else 'false' }})

{% endtest %}
