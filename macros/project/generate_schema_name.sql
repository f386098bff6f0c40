{#
    Custom schemas are used verbatim instead of dbt's default `<target_schema>_<custom>`:
    the three required views must land in schema `exp` itself (see var exp_views_schema).
    Models without a custom schema go to the target schema (DBT_SCHEMA, default analytics).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
