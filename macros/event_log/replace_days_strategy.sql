{#
    Incremental strategy 'replace_days' (config incremental_strategy='replace_days',
    unique_key=<the model's UTC day column>): in one transaction, delete every row of the days
    this build rebuilds (rebuilt_days(), also the days that now have no row at all, e.g. all
    their events quarantined), then insert the new rows of those days. dbt's delete+insert would
    only delete the days present in the new rows.
#}
{% macro get_incremental_replace_days_sql(arg_dict) %}
    {%- set day_column = arg_dict['unique_key'] -%}
    {%- if day_column is not string -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'replace_days' needs unique_key = the model's UTC day column, got "
            ~ day_column) }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ day_column }} in {{ rebuilt_days() }};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
