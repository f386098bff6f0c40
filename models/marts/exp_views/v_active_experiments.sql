{#
    Required view exp.v_active_experiments: the active experiments with their stats (variants,
    traffic, generations, overall acceptance rate).
#}
{{ config(materialized='view', schema=var('exp_views_schema')) }}

with

experiments as (

    select * from {{ ref('experiments') }}

),

generations_aggregated_to_variants as (

    select * from {{ ref('int_generations_aggregated_to_variants') }}

),

acceptance_by_experiment as (

    select
        experiment_id,
        sum(accepted_count)::{{ sql_type('double precision') }}
        / nullif(sum(generation_count), 0) as acceptance_rate

    from generations_aggregated_to_variants

    group by 1

),

active_experiments as (

    select
        experiments.experiment_id,
        experiments.experiment_name,
        experiments.experiment_description,
        experiments.hypothesis,
        experiments.status,
        experiments.primary_metric_name,
        experiments.variant_count,
        experiments.assigned_unit_count,
        experiments.generation_count,
        acceptance_by_experiment.acceptance_rate,
        experiments.started_date,
        experiments.started_at,
        experiments.created_at

    from experiments
    left join acceptance_by_experiment
        on experiments.experiment_id = acceptance_by_experiment.experiment_id

    where experiments.status = 'active'

)

select * from active_experiments
