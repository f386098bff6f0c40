-- Assertion: multiple-testing adjustment never lowers a p-value: both the Holm and the
-- Benjamini-Hochberg adjusted p-values are >= the raw p_value, and present whenever it is.
select
    experiment_id,
    treatment_variant_id,
    metric_name,
    p_value,
    p_value_adjusted,
    p_value_benjamini_hochberg

from {{ ref('variant_significance') }}

where
    p_value is not null
    and (
        p_value_adjusted is null
        or p_value_benjamini_hochberg is null
        or p_value_adjusted < p_value
        or p_value_benjamini_hochberg < p_value
    )
