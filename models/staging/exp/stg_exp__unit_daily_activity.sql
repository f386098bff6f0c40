{#- exp.unit_daily_activity is optional in the source contract: when the warehouse has no such
    table, this view is empty (with the same columns) and CUPED adjusts nothing. -#}
{%- set has_source = existing_source_columns(source('exp', 'unit_daily_activity')).split() | length > 0 -%}
with

source as (

    {% if has_source or not execute %}
        select * from {{ source('exp', 'unit_daily_activity') }}
    {% else %}
        select
            null::{{ sql_type('text') }} as unit_id,
            null::date as activity_date,
            null::bigint as generation_count,
            null::bigint as accepted_count,
            null::bigint as edit_count,
            null::bigint as token_measured_count,
            null::bigint as total_tokens,
            null::bigint as latency_measured_count,
            null::{{ sql_type('float8') }} as latency_ms_sum,
            null::bigint as constraint_respect_scored_count,
            null::{{ sql_type('float8') }} as constraint_respect_score_sum,
            null::bigint as alignment_scored_count,
            null::{{ sql_type('float8') }} as alignment_score_sum,
            null::bigint as diversity_scored_count,
            null::{{ sql_type('float8') }} as diversity_score_sum
        where false
    {% endif %}

),

renamed as (

    select
        unit_id,
        activity_date,
        generation_count::bigint as generation_count,
        accepted_count::bigint as accepted_count,
        edit_count::bigint as edit_count,
        token_measured_count::bigint as token_measured_count,
        total_tokens::bigint as total_tokens,
        latency_measured_count::bigint as latency_measured_count,
        latency_ms_sum::{{ sql_type('float8') }} as latency_ms_sum,
        constraint_respect_scored_count::bigint as constraint_respect_scored_count,
        constraint_respect_score_sum::{{ sql_type('float8') }} as constraint_respect_score_sum,
        alignment_scored_count::bigint as alignment_scored_count,
        alignment_score_sum::{{ sql_type('float8') }} as alignment_score_sum,
        diversity_scored_count::bigint as diversity_scored_count,
        diversity_score_sum::{{ sql_type('float8') }} as diversity_score_sum

    from source

)

select * from renamed
