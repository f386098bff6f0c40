"""The demo data set: a realistic, seeded month of an LLM experimentation platform's logs.

`generate` loads it into the `exp` source tables; `append_days` moves its end forward (late
events included). `TRUE_EFFECTS` and `VARIANT_TRUTHS` state what the statistics should find.
"""

from experiment_analytics.demo_data.generator import (
    DemoDataError,
    GenerationResult,
    append_days,
    default_end_at,
    generate,
)
from experiment_analytics.demo_data.scenario import (
    EXPERIMENTS,
    MODELS,
    POLICY_VERSIONS,
    SRM_EXPERIMENT_ID,
    TRUE_EFFECTS,
    TRUE_EFFECTS_BY_VARIANT,
    VARIANT_TRUTHS,
    TrueEffect,
    VariantTruth,
)

__all__ = [
    "EXPERIMENTS",
    "MODELS",
    "POLICY_VERSIONS",
    "SRM_EXPERIMENT_ID",
    "TRUE_EFFECTS",
    "TRUE_EFFECTS_BY_VARIANT",
    "VARIANT_TRUTHS",
    "DemoDataError",
    "GenerationResult",
    "TrueEffect",
    "VariantTruth",
    "append_days",
    "default_end_at",
    "generate",
]
