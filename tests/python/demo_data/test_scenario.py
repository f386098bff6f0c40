"""The stated truth of the demo data set is internally consistent (no database needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiment_analytics.demo_data import EXPERIMENTS, SRM_EXPERIMENT_ID, TRUE_EFFECTS
from experiment_analytics.demo_data.scenario import (
    USER_OFFSET_HALF_WIDTH,
    VARIANT_TRUTHS,
    expected_edits_when_edited,
)

STATUSES = {"draft", "active", "paused", "completed"}


def test_every_status_has_experiments():
    counts = {status: sum(e.status == status for e in EXPERIMENTS) for status in STATUSES}
    assert all(count >= 2 for count in counts.values()), counts


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.name)
def test_declared_allocations_sum_to_one_with_one_control(experiment):
    assert math.isclose(sum(v.allocation for v in experiment.variants), 1.0, abs_tol=1e-9)
    assert sum(v.is_control for v in experiment.variants) == 1
    effective = [v.effective_allocation or v.allocation for v in experiment.variants]
    assert math.isclose(sum(effective), 1.0, abs_tol=1e-9)


def test_exactly_one_active_experiment_has_a_sample_ratio_mismatch():
    srm = [e for e in EXPERIMENTS if e.has_sample_ratio_mismatch]
    assert [e.id for e in srm] == [SRM_EXPERIMENT_ID]
    assert srm[0].status == "active"
    assert any(v.effective_allocation not in (None, v.allocation) for v in srm[0].variants)


def test_true_effects_cover_every_treatment_and_include_real_effects_and_a_null():
    treatments = {v.id for e in EXPERIMENTS for v in e.variants if not v.is_control}
    assert {effect.variant_id for effect in TRUE_EFFECTS} == treatments
    assert any(effect.acceptance_rate_diff >= 0.04 for effect in TRUE_EFFECTS)
    assert any(effect.latency_ratio < 0.9 for effect in TRUE_EFFECTS)
    assert any(effect.latency_ratio > 1.3 for effect in TRUE_EFFECTS)
    assert any(effect.edit_count_diff < -0.05 for effect in TRUE_EFFECTS)
    assert any(
        effect.acceptance_rate_diff == 0 and effect.latency_ratio == 1 for effect in TRUE_EFFECTS
    )


def test_user_propensities_never_leave_zero_one_so_the_truth_is_exact():
    # The generator clamps a user's keep probability to [0, 0.999]; if clamping ever happened
    # the stated acceptance rates would no longer be the expected values.
    for truth in VARIANT_TRUTHS.values():
        assert truth.acceptance_rate - USER_OFFSET_HALF_WIDTH > 0
        assert truth.acceptance_rate + USER_OFFSET_HALF_WIDTH < 0.999


@pytest.mark.parametrize("scale", [0.7, 1.2, 1.8])
def test_expected_edit_count_formula_matches_simulation(scale):
    rng = np.random.default_rng(1)
    draws = 1 + np.floor(rng.exponential(scale, size=400_000))
    assert math.isclose(draws.mean(), expected_edits_when_edited(scale), rel_tol=0.01)
