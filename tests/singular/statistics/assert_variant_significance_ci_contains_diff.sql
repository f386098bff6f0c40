-- Assertion: every confidence interval and confidence sequence of variant_significance contains
-- its difference whenever it exists, and the anytime-valid sequence is at least as wide as the
-- fixed-horizon interval where a verdict is given (it pays for being valid under peeking; with
-- >= 30 units per arm the t quantile is below the sequence's minimum multiplier sqrt(2 ln 1/alpha)).
select
    experiment_id,
    treatment_variant_id,
    metric_name,
    ci_lower,
    ci_lower_sequential,
    diff,
    ci_upper,
    ci_upper_sequential,
    status

from {{ ref('variant_significance') }}

where
    ci_lower > diff
    or ci_upper < diff
    or ci_lower_sequential > diff
    or ci_upper_sequential < diff
    or (status = 'ok' and ci_upper_sequential - ci_lower_sequential < ci_upper - ci_lower)
