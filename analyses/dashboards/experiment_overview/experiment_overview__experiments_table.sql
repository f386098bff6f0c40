{#
    Experiment Overview · Experiments: every experiment with its status, start date, variant
    count and total traffic (distinct units assigned). Active experiments first, then paused,
    draft and completed; newest start first within a status.
#}
with

experiments as (

    select * from {{ ref('experiments') }}

),

experiments_table as (

    select
        experiment_name,
        status,
        started_date,
        variant_count,
        assigned_unit_count,
        generation_count
    from experiments

)

select * from experiments_table
order by
    case status
        when 'active' then 1
        when 'paused' then 2
        when 'draft' then 3
        else 4
    end asc,
    started_date desc nulls last,
    experiment_name asc
