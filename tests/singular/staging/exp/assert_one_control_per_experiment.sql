-- Assertion: every experiment that has variants has exactly one control variant.
-- Returns the experiments with none or several.
with

variants as (

    select * from {{ ref('stg_exp__variants') }}

)

select
    experiment_id,
    count(*) filter (where is_control) as control_count

from variants

group by 1

having count(*) filter (where is_control) <> 1
