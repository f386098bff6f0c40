{#
    Grants on Spark: not applied by this project. A local Spark (session method) has no access
    control at all, and on Databricks the workspace's Unity Catalog grants are usually owned by
    its administrators; dbt-spark's GRANT statements would fail on the first and overrule the
    second. PostgreSQL keeps dbt's `+grants` (dbt_project.yml). README "Running on Apache Spark".
#}
{% macro spark__apply_grants(relation, grant_config, should_revoke=True) %}
    {%- if grant_config -%}
        {{ log('grants not applied on Spark (' ~ relation ~ '): see README "Running on Apache Spark"') }}
    {%- endif -%}
{% endmacro %}
