-- noqa: disable=LT02
{# (sqlfluff lints a macro file by rendering the macro bodies out of context; their SQL is linted
    where the models and the card use it.) #}
{#
    Holm (family-wise error) and Benjamini-Hochberg (false discovery rate) adjusted p-values as
    window functions (STATISTICS.md §4). Renders a select over `relation` adding
    `family_rank`, `family_size`, `p_value_holm` and `p_value_benjamini_hochberg`; rows whose p-value
    is null stay, with null adjusted values (explicitly: LEAST/GREATEST skip nulls), and do not
    count in their family's size.
#}
{% macro adjusted_p_values(relation, p_value_column, family_columns) -%}
    {%- set family = family_columns | join(', ') -%}
    select
        ranked.*,
        {#- LEAST/GREATEST ignore nulls: without the case a missing p-value would become 1 #}
        case when ranked.{{ p_value_column }} is not null then least(
            1.0,
            max((ranked.family_size - ranked.family_rank + 1) * ranked.{{ p_value_column }}) over (
                partition by {{ ranked_columns(family_columns) }}, ranked.{{ p_value_column }} is null
                order by ranked.family_rank asc
                rows between unbounded preceding and current row
            )
        ) end as p_value_holm,
        {#- greatest(p, ...): m * p / m can round below p -#}
        case when ranked.{{ p_value_column }} is not null then greatest(ranked.{{ p_value_column }}, least(
            1.0,
            min(ranked.family_size * ranked.{{ p_value_column }} / ranked.family_rank) over (
                partition by {{ ranked_columns(family_columns) }}, ranked.{{ p_value_column }} is null
                order by ranked.family_rank asc
                rows between current row and unbounded following
            )
        )) end as p_value_benjamini_hochberg
    from (
        select
            {{ relation }}.*,
            row_number() over (
                partition by {{ family }}, {{ p_value_column }} is null
                order by {{ p_value_column }} asc
            ) as family_rank,
            count({{ p_value_column }}) over (partition by {{ family }}) as family_size
        from {{ relation }}
    ) as ranked
{%- endmacro %}

{# The columns qualified with the subquery alias `ranked`. #}
{% macro ranked_columns(columns) -%}
    {%- for column in columns -%}ranked.{{ column }}{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
