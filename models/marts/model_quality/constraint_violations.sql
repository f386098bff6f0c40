{#
    One row per generation that violated a constraint (constraint_respect_score < 1).
    Incremental at day grain like the other marts over generations.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key='generated_date',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
generations as {{ cte_not_materialized() }} (

    select * from {{ ref('generations') }}

),

variants_named as (

    select * from {{ ref('int_variants_named') }}

),

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

violating_generations as (

    select * from generations

    where
        is_constraint_violation
        {% if is_incremental() %}
            and generated_date in {{ rebuilt_days() }}
        {% endif %}

),

violations_named as (

    select
        violating_generations.request_id,
        violating_generations.experiment_id,
        variants_named.experiment_name,
        violating_generations.variant_id,
        variants_named.variant_name,
        violating_generations.policy_version_id,
        policy_versions.policy_version,
        violating_generations.constraint_respect_score,
        violating_generations.generated_date,
        violating_generations.generated_at,
        violating_generations.last_received_at

    from violating_generations
    left join variants_named
        on violating_generations.variant_id = variants_named.variant_id
    left join policy_versions
        on violating_generations.policy_version_id = policy_versions.policy_version_id

)

select * from violations_named
