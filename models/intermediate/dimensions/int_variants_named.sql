{#
    Every variant with its experiment's name: the one place the "attach experiment and
    variant names" join lives. Marts at variant grain (or finer) join it on variant_id alone:
    an event whose variant belongs to another experiment is quarantined (int_events_checked),
    so the variant's experiment is the row's experiment. A variant of an unknown experiment
    is left out (and fails the source test on exp.variants).
#}
with

variants as (

    select * from {{ ref('stg_exp__variants') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

variants_named as (

    select
        variants.variant_id,
        variants.experiment_id,
        experiments.experiment_name,
        experiments.status as experiment_status,
        variants.variant_name,
        variants.is_control,
        variants.allocation,
        variants.policy_version_id,
        variants.created_at

    from variants
    inner join experiments
        on variants.experiment_id = experiments.experiment_id

)

select * from variants_named
