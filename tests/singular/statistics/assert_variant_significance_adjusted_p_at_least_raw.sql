-- Assertion: multiple-testing adjustment never lowers a p-value: both the Holm and the
-- Benjamini-Hochberg adjusted p-values are >= the raw p-value the verdict uses
-- (p_value_decision), present whenever it is, and null whenever it is null.
select
    experiment_id,
    treatment_variant_id,
    metric_name,
    p_value_decision,
    p_value_adjusted,
    p_value_benjamini_hochberg

from {{ ref('variant_significance') }}

where
    (
        p_value_decision is not null
        and (
            p_value_adjusted is null
            or p_value_benjamini_hochberg is null
            or p_value_adjusted < p_value_decision
            or p_value_benjamini_hochberg < p_value_decision
        )
    )
    or (p_value_decision is null and (p_value_adjusted is not null or p_value_benjamini_hochberg is not null))
