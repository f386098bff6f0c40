{#
    Aggregates whose spelling differs between PostgreSQL and Spark SQL; each renders the
    PostgreSQL text unchanged on PostgreSQL.
#}

{# The values of `expression` joined by `delimiter`, in the order of `order_by`. #}
{% macro ordered_string_agg(expression, delimiter, order_by) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('ordered_string_agg', 'experiment_analytics')(expression, delimiter, order_by)) }}
    {%- else -%}
        {{ return(default__ordered_string_agg(expression, delimiter, order_by)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, delimiter, order_by) -%}
    string_agg({{ expression }}, {{ delimiter }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, delimiter, order_by) -%}
    string_agg({{ expression }}, {{ delimiter }}) within group (order by {{ order_by }})
{%- endmacro %}


{# The value of `expression` on the row of the group with the smallest `order_by`. #}
{% macro first_by(expression, order_by) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('first_by', 'experiment_analytics')(expression, order_by)) }}
    {%- else -%}
        {{ return(default__first_by(expression, order_by)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__first_by(expression, order_by) -%}
    (array_agg({{ expression }} order by {{ order_by }} asc))[1]
{%- endmacro %}

{% macro spark__first_by(expression, order_by) -%}
    min_by({{ expression }}, {{ order_by }})
{%- endmacro %}


{#
    The `count` smallest values of `expression` in the group, as an array, smallest first,
    nulls last (and kept: Spark's collect_list drops nulls, so it collects them wrapped).
#}
{% macro smallest_values(expression, count) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('smallest_values', 'experiment_analytics')(expression, count)) }}
    {%- else -%}
        {{ return(default__smallest_values(expression, count)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__smallest_values(expression, count) -%}
    (array_agg({{ expression }} order by {{ expression }} asc))[1:{{ count }}]
{%- endmacro %}

{% macro spark__smallest_values(expression, count) -%}
    transform(
        slice(array_sort(collect_list(named_struct('is_null', {{ expression }} is null, 'value', {{ expression }}))), 1, {{ count }}),
        wrapped -> wrapped.value
    )
{%- endmacro %}


{#
    Up to `count` values of the text `expression` in the group, smallest first, joined by the SQL
    string literal `separator` (the failing keys a data test shows). dbt's listagg on Spark
    ignores its order by (it warns "order_by_clause is not supported for listagg"), so the sample
    there would be any `count` values; Spark sorts the collected values instead.
#}
{% macro sorted_text_sample(expression, separator, count) -%}
    {{ return(adapter.dispatch('sorted_text_sample', 'experiment_analytics')(expression, separator, count)) }}
{%- endmacro %}

{% macro default__sorted_text_sample(expression, separator, count) -%}
    {{ listagg(expression, separator, 'order by ' ~ expression, count) }}
{%- endmacro %}

{% macro spark__sorted_text_sample(expression, separator, count) -%}
    array_join({{ smallest_values(expression, count) }}, {{ separator }})
{%- endmacro %}
