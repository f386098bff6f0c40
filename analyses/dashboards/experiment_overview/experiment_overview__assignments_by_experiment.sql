{#
    Experiment Overview · Assignments by Experiment: units assigned per active experiment (one
    assignment per unit and experiment, so assignments = assigned units).
#}
with

experiments as (

    select * from {{ ref('experiments') }}

),

active_experiment_assignments as (

    select
        experiment_name,
        assigned_unit_count
    from experiments
    where status = 'active'

)

select * from active_experiment_assignments
order by assigned_unit_count desc, experiment_name asc
