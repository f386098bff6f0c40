{#
    Model Quality · Constraint Violations (last 24 h): generations with a constraint respect
    score below 1 generated in the last 24 hours. Should be 0; the alert "constraint violation"
    checks the last hour every 5 minutes.
#}
with

constraint_violations as (

    select * from {{ ref('constraint_violations') }}

),

recent_constraint_violations as (

    select count(*) as constraint_violation_count
    from constraint_violations
    where generated_at >= now() - interval '24 hours'

)

select * from recent_constraint_violations
order by constraint_violation_count
