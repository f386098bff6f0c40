-- Assertion: is_significant is exactly (p_value_adjusted < alpha) when status is 'ok', and null
-- (no verdict) under every gate.
select
    experiment_id,
    treatment_variant_id,
    metric_name,
    status,
    p_value_adjusted,
    is_significant

from {{ ref('variant_significance') }}

where
    (status = 'ok' and is_significant is distinct from (p_value_adjusted < {{ var('statistics_alpha', 0.05) }}))
    or (status <> 'ok' and is_significant is not null)
