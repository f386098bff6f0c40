{#
    The timestamptz at which a UTC calendar day starts, so that date filters on a timestamptz
    column can use its index (`occurred_at >= utc_day_start(...)`).
#}
{% macro utc_day_start(date_expression) %}
    (({{ date_expression }})::timestamp at time zone 'UTC')
{% endmacro %}
