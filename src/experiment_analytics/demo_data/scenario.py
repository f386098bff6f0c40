"""The fixed cast of the demo data set: models, policy versions, experiments, variants, and the
truth the generator draws from.

Everything the statistics should find is stated here, so tests (and anyone reading a dashboard)
can compare an estimate with the value it estimates. `TRUE_EFFECTS` is the public summary:
per treatment variant, the true difference to its experiment's control.

How the truth maps to events (see generator SQL in `events.py`):

* acceptance: a user's chance to keep (accept or edit) a completion is
  `variant.acceptance_rate + user_offset`, with `user_offset ~ Uniform(-0.25, 0.25)` drawn once
  per user (so a user's generations are correlated). Users are picked independently of their
  offset, so the expected acceptance rate per generation is exactly `acceptance_rate`.
* edits: a kept completion is edited with probability `edit_share`; an edit has
  `1 + floor(Exponential(mean=extra_edit_scale))` edits. Expected edit_count per generation
  (0 when not edited) = acceptance_rate * edit_share * (1 + 1 / (exp(1 / scale) - 1)).
* latency: lognormal, `median * exp(0.25 * user_z + 0.55 * z)`, and 2% of requests (retries)
  take 3x as long. Every quantile and the mean scale with `latency_median_ms`, so a treatment's
  latency ratio to control is `latency_median_ms` over control's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

USER_OFFSET_HALF_WIDTH = 0.25
LATENCY_USER_SIGMA = 0.25
LATENCY_SIGMA = 0.55
LATENCY_RETRY_SHARE = 0.02
LATENCY_RETRY_FACTOR = 3.0
IGNORED_SHARE = 0.25  # of not-kept completions, this share get no outcome event at all
HISTORY_DAYS = 30
GENERATIONS_PER_UNIT = 10  # sizes the user population from the number of events


@dataclass(frozen=True)
class LanguageModel:
    name: str
    model_version: str
    latency_median_ms: float
    completion_tokens_median: float


MODELS: dict[str, LanguageModel] = {
    model.name: model
    for model in (
        LanguageModel("lyra-3b", "2026-06-12", 380.0, 150.0),
        LanguageModel("orion-8b", "2026-08-01", 620.0, 210.0),
        LanguageModel("orion-70b", "2026-09-20", 1050.0, 260.0),
    )
}


@dataclass(frozen=True)
class PolicyVersion:
    id: int
    version: str
    model_name: str
    status: str
    created_days_before_history: float
    online_acceptance_rate: float  # the true acceptance rate the policy earns online
    offline_bias: float  # what offline evaluation gets wrong about it (imperfect correlation)
    edit_share: float
    extra_edit_scale: float
    latency_factor: float  # on top of the model's median latency (prompting, post-processing)
    constraint_violation_rate: float
    alignment_mean: float
    diversity_mean: float
    completion_tokens_factor: float = 1.0

    @property
    def model(self) -> LanguageModel:
        return MODELS[self.model_name]


POLICY_VERSIONS: tuple[PolicyVersion, ...] = (
    PolicyVersion(
        1,
        "pv-2026.07.1",
        "orion-8b",
        "deprecated",
        40,
        0.36,
        0.06,
        0.38,
        1.6,
        1.0,
        0.006,
        0.78,
        0.55,
    ),
    PolicyVersion(
        2, "pv-2026.08.3", "orion-8b", "active", 20, 0.40, 0.02, 0.35, 1.5, 1.0, 0.005, 0.81, 0.57
    ),
    PolicyVersion(
        3,
        "pv-2026.09.1",
        "orion-8b",
        "shadow",
        8,
        0.44,
        -0.03,
        0.28,
        1.2,
        0.85,
        0.004,
        0.83,
        0.52,
        0.8,
    ),
    PolicyVersion(
        4,
        "pv-2026.09.2",
        "orion-70b",
        "candidate",
        6,
        0.43,
        0.05,
        0.30,
        1.3,
        1.0,
        0.003,
        0.86,
        0.61,
    ),
    PolicyVersion(
        5,
        "pv-2026.10.1",
        "orion-70b",
        "candidate",
        4,
        0.46,
        -0.01,
        0.25,
        1.0,
        0.9,
        0.003,
        0.88,
        0.60,
    ),
    PolicyVersion(
        6,
        "pv-2026.10.2",
        "lyra-3b",
        "rolled_back",
        12,
        0.38,
        0.04,
        0.42,
        1.8,
        1.0,
        0.045,
        0.74,
        0.66,
    ),
    PolicyVersion(
        7,
        "pv-2026.11.1",
        "lyra-3b",
        "candidate",
        -25,
        0.41,
        0.00,
        0.33,
        1.4,
        1.0,
        0.008,
        0.80,
        0.63,
    ),
)
POLICY_VERSIONS_BY_ID = {policy.id: policy for policy in POLICY_VERSIONS}


@dataclass(frozen=True)
class VariantSpec:
    id: int
    name: str
    is_control: bool
    allocation: float  # what the experiment declares
    policy_version_id: int
    latency_factor: float = 1.0  # the variant's own latency change (e.g. a cache)
    # The share of units it really gets; differs from `allocation` only in the SRM experiment.
    effective_allocation: float | None = None

    @property
    def policy(self) -> PolicyVersion:
        return POLICY_VERSIONS_BY_ID[self.policy_version_id]


@dataclass(frozen=True)
class ExperimentSpec:
    id: int
    name: str
    status: str
    description: str
    hypothesis: str
    primary_metric: str
    start_day: float | None  # days after the start of the history; None for drafts
    stop_day: float | None  # when traffic stopped (paused or completed); None while it runs
    traffic_weight: float
    variants: tuple[VariantSpec, ...] = field(default_factory=tuple)
    acceptance_offset: float = 0.0  # the product surface's own level, same for every variant
    has_sample_ratio_mismatch: bool = False
    # The plan (optional source columns): planned duration in days from the start, planned
    # sample size in units, and the relative effect on the primary metric it is sized for.
    planned_days: float | None = None
    planned_unit_count: int | None = None
    target_relative_effect: float | None = None


EXPERIMENTS: tuple[ExperimentSpec, ...] = (
    ExperimentSpec(
        1,
        "concise-system-prompt",
        "active",
        "A shorter system prompt that asks for concise completions.",
        "Concise completions are accepted more often and arrive faster.",
        "acceptance_rate",
        9.25,
        None,
        1.0,
        (VariantSpec(11, "control", True, 0.5, 2), VariantSpec(12, "concise", False, 0.5, 3)),
        planned_days=28.0,
        target_relative_effect=0.05,
    ),
    ExperimentSpec(
        2,
        "orion-70b-upgrade",
        "active",
        "Serve the 70B model instead of the 8B model, with and without speculative decoding.",
        "The larger model is accepted more often; speculative decoding recovers most latency.",
        "acceptance_rate",
        14.5,
        None,
        1.2,
        (
            VariantSpec(21, "control", True, 0.4, 2),
            VariantSpec(22, "orion-70b", False, 0.3, 4),
            VariantSpec(23, "orion-70b-speculative", False, 0.3, 5),
        ),
        planned_days=21.0,
        target_relative_effect=0.05,
    ),
    ExperimentSpec(
        3,
        "retrieval-context-v2",
        "active",
        "Add retrieved repository context to the prompt.",
        "More context raises acceptance without hurting latency.",
        "acceptance_rate",
        18.3,
        None,
        0.8,
        # A broken redirect drops one in three treatment users before assignment is logged:
        # declared 50/50, observed about 60/40, the sample-ratio mismatch the checks must flag.
        (
            VariantSpec(31, "control", True, 0.5, 2, effective_allocation=0.6),
            VariantSpec(32, "retrieval", False, 0.5, 3, effective_allocation=0.4),
        ),
        acceptance_offset=0.02,
        has_sample_ratio_mismatch=True,
    ),
    ExperimentSpec(
        4,
        "lyra-3b-distillation",
        "paused",
        "Serve the distilled 3B model for cheaper, faster completions.",
        "The small model keeps acceptance within one point at half the latency.",
        "constraint_respect_score",
        3.2,
        15.6,
        0.7,
        (VariantSpec(41, "control", True, 0.5, 2), VariantSpec(42, "lyra-3b", False, 0.5, 6)),
        planned_days=21.0,
    ),
    ExperimentSpec(
        5,
        "prompt-cache-warmup",
        "paused",
        "Warm the prompt cache for frequent prefixes.",
        "Latency drops; nothing else changes.",
        "latency_ms",
        20.1,
        26.4,
        0.5,
        (
            VariantSpec(51, "control", True, 0.5, 2),
            VariantSpec(52, "warm-cache", False, 0.5, 2, latency_factor=0.8),
        ),
        planned_days=14.0,
        target_relative_effect=0.1,
    ),
    ExperimentSpec(
        6,
        "policy-2026-08-rollout",
        "completed",
        "Roll out policy pv-2026.08.3 against pv-2026.07.1.",
        "The August policy is accepted more often.",
        "acceptance_rate",
        0.3,
        12.8,
        1.0,
        (VariantSpec(61, "control", True, 0.5, 1), VariantSpec(62, "treatment", False, 0.5, 2)),
        planned_days=12.5,
    ),
    ExperimentSpec(
        7,
        "tone-personalisation",
        "completed",
        "Match the completion's tone to the user's history.",
        "Personalised tone raises acceptance (it did not: a true null effect).",
        "acceptance_rate",
        2.0,
        9.5,
        0.6,
        (VariantSpec(71, "control", True, 0.5, 2), VariantSpec(72, "personalised", False, 0.5, 2)),
        acceptance_offset=-0.03,
        planned_unit_count=100,
    ),
    ExperimentSpec(
        8,
        "multilingual-fallback",
        "draft",
        "Fall back to a multilingual model for non-English prompts.",
        "Non-English users accept more completions.",
        "acceptance_rate",
        None,
        None,
        0.0,
        (VariantSpec(81, "control", True, 0.5, 2), VariantSpec(82, "lyra-3b", False, 0.5, 7)),
    ),
    ExperimentSpec(
        9,
        "code-style-hints",
        "draft",
        "Inject the repository's style guide into the prompt.",
        "Fewer edits per accepted completion.",
        "edit_count",
        None,
        None,
        0.0,
        (
            VariantSpec(91, "control", True, 0.34, 2),
            VariantSpec(92, "short-hints", False, 0.33, 3),
            VariantSpec(93, "full-hints", False, 0.33, 3),
        ),
    ),
)
EXPERIMENTS_BY_ID = {experiment.id: experiment for experiment in EXPERIMENTS}


@dataclass(frozen=True)
class VariantTruth:
    """Expected per-generation values of one variant (population means, not sample means)."""

    experiment_id: int
    variant_id: int
    acceptance_rate: float
    edit_count: float
    latency_median_ms: float
    latency_mean_ms: float
    constraint_violation_rate: float


@dataclass(frozen=True)
class TrueEffect:
    """A treatment's true difference to its experiment's control."""

    experiment_id: int
    experiment_name: str
    variant_id: int
    variant_name: str
    control_variant_id: int
    acceptance_rate_diff: float  # absolute, treatment minus control
    edit_count_diff: float  # edits per generation, absolute
    latency_ratio: float  # treatment / control, for the mean and every quantile


def expected_edits_when_edited(scale: float) -> float:
    return 1.0 + 1.0 / (math.exp(1.0 / scale) - 1.0)


def variant_truth(experiment: ExperimentSpec, variant: VariantSpec) -> VariantTruth:
    policy = variant.policy
    acceptance = policy.online_acceptance_rate + experiment.acceptance_offset
    median = policy.model.latency_median_ms * policy.latency_factor * variant.latency_factor
    spread = math.exp((LATENCY_SIGMA**2 + LATENCY_USER_SIGMA**2) / 2)
    retries = 1.0 + LATENCY_RETRY_SHARE * (LATENCY_RETRY_FACTOR - 1.0)
    return VariantTruth(
        experiment_id=experiment.id,
        variant_id=variant.id,
        acceptance_rate=acceptance,
        edit_count=acceptance
        * policy.edit_share
        * expected_edits_when_edited(policy.extra_edit_scale),
        latency_median_ms=median,
        latency_mean_ms=median * spread * retries,
        constraint_violation_rate=policy.constraint_violation_rate,
    )


VARIANT_TRUTHS: dict[int, VariantTruth] = {
    variant.id: variant_truth(experiment, variant)
    for experiment in EXPERIMENTS
    for variant in experiment.variants
}


def _true_effects() -> tuple[TrueEffect, ...]:
    effects = []
    for experiment in EXPERIMENTS:
        control = next(variant for variant in experiment.variants if variant.is_control)
        base = VARIANT_TRUTHS[control.id]
        for variant in experiment.variants:
            if variant.is_control:
                continue
            truth = VARIANT_TRUTHS[variant.id]
            effects.append(
                TrueEffect(
                    experiment_id=experiment.id,
                    experiment_name=experiment.name,
                    variant_id=variant.id,
                    variant_name=variant.name,
                    control_variant_id=control.id,
                    acceptance_rate_diff=round(truth.acceptance_rate - base.acceptance_rate, 12),
                    edit_count_diff=truth.edit_count - base.edit_count,
                    latency_ratio=truth.latency_median_ms / base.latency_median_ms,
                )
            )
    return tuple(effects)


TRUE_EFFECTS: tuple[TrueEffect, ...] = _true_effects()
TRUE_EFFECTS_BY_VARIANT: dict[int, TrueEffect] = {
    effect.variant_id: effect for effect in TRUE_EFFECTS
}
SRM_EXPERIMENT_ID: int = next(e.id for e in EXPERIMENTS if e.has_sample_ratio_mismatch)
