-- Assertion: a sample ratio mismatch (srm_p_value below the threshold) always sets status 'srm'
-- and withholds the verdict.
select
    experiment_id,
    treatment_variant_id,
    metric_name,
    srm_p_value,
    status,
    is_significant

from {{ ref('variant_significance') }}

where
    srm_p_value < {{ var('statistics_srm_threshold', 0.001) }}
    and (status <> 'srm' or is_significant is not null)
