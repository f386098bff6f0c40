{#- planned_end_at, planned_unit_count and target_relative_effect are optional in the source
    contract: null when the platform's table lacks them (macro existing_source_columns). -#}
{%- set available = existing_source_columns(source('exp', 'experiments')).split() -%}
with

source as (

    select * from {{ source('exp', 'experiments') }}

),

renamed as (

    select
        id as experiment_id,
        name as experiment_name,
        description as experiment_description,
        hypothesis,
        status,
        primary_metric as primary_metric_name,
        {{ utc_date('started_at') }} as started_date,
        started_at,
        ended_at,
        created_at,
        {% if 'planned_end_at' in available -%}
            planned_end_at
        {%- else -%}
            null::{{ sql_type('timestamptz') }} as planned_end_at
        {%- endif %},
        {% if 'planned_unit_count' in available -%}
            planned_unit_count
        {%- else -%}
            null::{{ sql_type('integer') }} as planned_unit_count
        {%- endif %},
        {% if 'target_relative_effect' in available -%}
            target_relative_effect
        {%- else -%}
            null::{{ sql_type('float8') }} as target_relative_effect
        {%- endif %}

    from source

),

with_planned_end_date as (

    select
        *,
        {{ utc_date('planned_end_at') }} as planned_end_date

    from renamed

)

select * from with_planned_end_date
