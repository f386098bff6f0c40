-- noqa: disable=LT02
{#
    Row-set constructs of the card and alert SQL (analyses/) that PostgreSQL and Spark SQL spell
    differently. Each renders the PostgreSQL text unchanged on PostgreSQL.
#}

{#
    The first row per group: `select {{ distinct_on(keys) }} ... from ... {{ distinct_on_order(keys,
    order_by) }}`, where `order_by` starts with the keys (PostgreSQL's `distinct on` keeps the first
    row of each group in that order). Spark has no `distinct on`: the same row by row_number().
#}
{% macro distinct_on(keys) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('distinct_on', 'experiment_analytics')(keys)) }}
    {%- else -%}
        {{ return(default__distinct_on(keys)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__distinct_on(keys) -%}
    distinct on ({{ keys }})
{%- endmacro %}

{% macro spark__distinct_on(keys) -%}
{%- endmacro %}

{% macro distinct_on_order(keys, order_by) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('distinct_on_order', 'experiment_analytics')(keys, order_by)) }}
    {%- else -%}
        {{ return(default__distinct_on_order(keys, order_by)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__distinct_on_order(keys, order_by) -%}
    order by {{ order_by }}
{%- endmacro %}

{% macro spark__distinct_on_order(keys, order_by) -%}
    qualify row_number() over (partition by {{ keys }} order by {{ order_by }}) = 1
{%- endmacro %}


{#
    A join of each row to a few rows of its own values (an unpivot): `rows` is a list of rows,
    each a list of SQL expressions; `alias (columns)` names them.
#}
{% macro lateral_rows(rows, alias, columns) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('lateral_rows', 'experiment_analytics')(rows, alias, columns)) }}
    {%- else -%}
        {{ return(default__lateral_rows(rows, alias, columns)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__lateral_rows(rows, alias, columns) -%}
    cross join lateral (
        values
        {% for row in rows -%}
        ({{ row | join(', ') }}){{ ',' if not loop.last }}
        {% endfor -%}
    ) as {{ alias }} ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__lateral_rows(rows, alias, columns) -%}
    {%- set values = [] -%}
    {%- for row in rows -%}{%- do values.extend(row) -%}{%- endfor -%}
    cross join lateral (
        select stack({{ rows | length }}, {{ values | join(', ') }}) as ({{ columns | join(', ') }})
    ) as {{ alias }}
{%- endmacro %}


{#
    A join of each row to the timestamps from `start` to `stop` (inclusive) every `step` (an
    interval literal's text such as '6 hours'), as `alias (column)`.
#}
{% macro lateral_series(start, stop, step, alias, column) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('lateral_series', 'experiment_analytics')(start, stop, step, alias, column)) }}
    {%- else -%}
        {{ return(default__lateral_series(start, stop, step, alias, column)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__lateral_series(start, stop, step, alias, column) -%}
    cross join lateral generate_series(
        {{ start }},
        {{ stop }},
        interval '{{ step }}'
    ) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__lateral_series(start, stop, step, alias, column) -%}
    cross join lateral (
        -- no row when start > stop, as generate_series (Spark's sequence would fail; the
        -- explode of null is no row)
        select explode(
            case
                when {{ start }} <= {{ stop }}
                    then sequence({{ start }}, {{ stop }}, interval '{{ step }}')
            end
        ) as {{ column }}
    ) as {{ alias }}
{%- endmacro %}
