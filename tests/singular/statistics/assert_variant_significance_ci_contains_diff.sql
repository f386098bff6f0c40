-- Assertion: every confidence interval of variant_significance contains its difference
-- (ci_lower <= diff <= ci_upper) whenever it exists.
select
    experiment_id,
    treatment_variant_id,
    metric_name,
    ci_lower,
    diff,
    ci_upper

from {{ ref('variant_significance') }}

where ci_lower > diff or ci_upper < diff
