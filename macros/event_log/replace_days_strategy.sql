{#
    Incremental strategy 'replace_days' (config incremental_strategy='replace_days',
    unique_key=<the model's UTC day column>, or a list of them): in one transaction, delete every
    row of the days this build rebuilds (rebuilt_days(), also the days that now have no row at
    all, e.g. all their events quarantined), then insert the new rows. dbt's delete+insert would
    only delete the days present in the new rows.

    A model whose rows belong to more than one day (unique_key a list of day columns, e.g.
    arm_day_pair_statistics: metric_date and paired_metric_date) has a row replaced when ANY of
    its days is rebuilt.

    A model that may select more than the rebuilt days (arm_day_unit_entries rebuilds every day
    from the earliest rebuilt one; the arm_day_* tables rebuild every day when the units'
    pre-period changed) says so with config replace_days_of_new_rows=true: the days its new
    rows carry are deleted too (dbt's delete+insert on the day columns). The other models
    select only rebuilt days, so they skip that extra pass over the new rows.

    The target's enforced contract constraints (primary key, unique, check; README "What the
    warehouse guarantees") are what stops a wrong row inside this transaction, so a target built
    without them (by a version of the project before they were declared) fails the build with
    the command that adds them, instead of taking rows unchecked.
#}
{% macro get_incremental_replace_days_sql(arg_dict) %}
    {%- set day_columns = arg_dict['unique_key'] -%}
    {%- if day_columns is string -%}
        {%- set day_columns = [day_columns] -%}
    {%- endif -%}
    {%- if day_columns is none or day_columns is mapping or day_columns | length == 0
        or day_columns | reject('string') | list -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'replace_days' needs unique_key = the model's UTC day column"
            ~ " (or a list of them), got " ~ arg_dict['unique_key']) }}
    {%- endif -%}
    {%- do assert_contract_constraints_in_place(arg_dict['target_relation']) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set day_list = day_columns | join(', ') -%}
    {#- one delete per day column (each uses the day's index) #}
    {%- for day_column in day_columns %}
    delete from {{ arg_dict['target_relation'] }}
    where {{ day_column }} in {{ rebuilt_days() }};
    {%- endfor %}
    {%- if config.get('replace_days_of_new_rows', false) %}

    delete from {{ arg_dict['target_relation'] }}
    where ({{ day_list }}) in (select distinct {{ day_list }} from {{ arg_dict['temp_relation'] }});
    {%- endif %}

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}


{#
    Fails the model when `relation` carries fewer primary-key, unique and check constraints
    than the model's contract declares: an incremental model gets its constraints only when it
    is created, so a table created before they were declared would otherwise never enforce them.
#}
{% macro assert_contract_constraints_in_place(relation) %}
    {{ return(adapter.dispatch('assert_contract_constraints_in_place')(relation)) }}
{% endmacro %}

{# Engines that do not enforce these constraints (e.g. Spark) have nothing to check. #}
{% macro default__assert_contract_constraints_in_place(relation) %}
{% endmacro %}

{% macro postgres__assert_contract_constraints_in_place(relation) %}
    {%- if not execute or not model.config.get('contract', {}).get('enforced') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set enforced_types = ['primary_key', 'unique', 'check'] -%}
    {%- set counted = namespace(
        declared=model.constraints | selectattr('type', 'in', enforced_types) | list | length) -%}
    {%- for column in model.columns.values() -%}
        {%- set counted.declared = counted.declared
            + (column.constraints | selectattr('type', 'in', enforced_types) | list | length) -%}
    {%- endfor -%}
    {%- set declared = counted.declared -%}
    {%- set count_query -%}
        select count(*) from pg_catalog.pg_constraint
        where conrelid = '{{ relation }}'::regclass and contype in ('p', 'u', 'c')
    {%- endset -%}
    {%- set in_place = run_query(count_query).columns[0].values()[0] -%}
    {%- if in_place < declared -%}
        {{ exceptions.raise_compiler_error(
            relation ~ " has " ~ in_place ~ " of the " ~ declared ~ " primary-key, unique and check"
            ~ " constraints its contract declares: it was created by an earlier version of this"
            ~ " project. Rebuild it once so PostgreSQL enforces them: dbt build --full-refresh"
            ~ " --select +" ~ model.name ~ "+") }}
    {%- endif -%}
{% endmacro %}
