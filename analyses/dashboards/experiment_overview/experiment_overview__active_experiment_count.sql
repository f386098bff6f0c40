{# Experiment Overview · Active Experiments: the number of experiments whose status is 'active'. #}
with

experiments as (

    select * from {{ ref('experiments') }}

),

active_experiments as (

    select count(*) as active_experiment_count
    from experiments
    where status = 'active'

)

select * from active_experiments
order by active_experiment_count
