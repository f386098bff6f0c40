{#
    Alert "acceptance below baseline - 10%". Baseline = the control variant's acceptance rate
    (accepted or edited / generations) over the generations of the last 24 hours; the alert
    holds for a treatment variant of an active experiment whose acceptance rate over the same
    24 hours is below baseline x (1 - 0.10), i.e. a RELATIVE drop of more than 10% (control 0.50
    -> threshold 0.45). Both arms need at least 30 generations in the window, so a handful of
    requests cannot alert. Returns one row per such treatment variant, no row otherwise.
    Reads the `generations` mart: as fresh as the last dbt build. Generations whose outcome has
    not arrived yet count as not accepted, in both arms alike.
#}
{%- set relative_drop = var('alert_acceptance_relative_drop', 0.10) -%}
{%- set minimum_generations = var('alert_minimum_generations_per_arm', 30) -%}
with

generations as (

    select * from {{ ref('generations') }}

),

variants as (

    select * from {{ ref('variants') }}

),

experiments as (

    select * from {{ ref('experiments') }}

),

generations_last_24_hours as (

    select
        variant_id,
        is_accepted
    from generations
    where
        generated_date >= (now() at time zone 'utc')::date - 1
        and generated_at >= now() - interval '24 hours'

),

acceptance_per_variant as (

    select
        variants.experiment_id,
        variants.variant_id,
        variants.experiment_name,
        variants.variant_name,
        variants.is_control,
        count(*) as generation_count,
        avg(generations_last_24_hours.is_accepted::integer) as acceptance_rate
    from generations_last_24_hours
    inner join variants
        on generations_last_24_hours.variant_id = variants.variant_id
    inner join experiments
        on variants.experiment_id = experiments.experiment_id
    where experiments.status = 'active'
    group by
        variants.experiment_id,
        variants.variant_id,
        variants.experiment_name,
        variants.variant_name,
        variants.is_control

),

control_baselines as (

    select
        experiment_id,
        generation_count as control_generation_count,
        acceptance_rate as control_acceptance_rate
    from acceptance_per_variant
    where is_control

),

treatments_below_baseline as (

    select
        acceptance_per_variant.experiment_id,
        acceptance_per_variant.variant_id,
        acceptance_per_variant.experiment_name,
        acceptance_per_variant.variant_name as treatment_variant_name,
        acceptance_per_variant.generation_count as treatment_generation_count,
        acceptance_per_variant.acceptance_rate as treatment_acceptance_rate,
        control_baselines.control_generation_count,
        control_baselines.control_acceptance_rate,
        control_baselines.control_acceptance_rate * (1 - {{ relative_drop }}) as alert_threshold
    from acceptance_per_variant
    inner join control_baselines
        on acceptance_per_variant.experiment_id = control_baselines.experiment_id
    where
        not acceptance_per_variant.is_control
        and acceptance_per_variant.generation_count >= {{ minimum_generations }}
        and control_baselines.control_generation_count >= {{ minimum_generations }}
        and acceptance_per_variant.acceptance_rate
        < control_baselines.control_acceptance_rate * (1 - {{ relative_drop }})

)

select * from treatments_below_baseline
order by experiment_name asc, treatment_variant_name asc
