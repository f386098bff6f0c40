"""The known truth shows in the raw data: effects, user heterogeneity, the sample-ratio mismatch."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from experiment_analytics.demo_data import (
    EXPERIMENTS,
    SRM_EXPERIMENT_ID,
    TRUE_EFFECTS,
    VARIANT_TRUTHS,
)

PER_UNIT_SQL = """
select
    g.variant_id,
    g.unit_id,
    count(*)::float8 as generations,
    sum(coalesce((o.event_type in ('accepted', 'edited'))::int, 0))::float8 as accepted,
    sum(coalesce(o.edit_count, 0))::float8 as edits,
    sum(g.latency_ms) as latency
from exp.events as g
left join exp.events as o on o.request_id = g.request_id and o.event_type <> 'generation'
where g.event_type = 'generation'
group by 1, 2
"""


@pytest.fixture(scope="module")
def per_unit(demo_data) -> dict[int, np.ndarray]:
    """Per variant: an array of per-unit rows (generations, accepted, edits, latency sum)."""
    by_variant: dict[int, list] = {}
    for variant_id, _, *values in demo_data(PER_UNIT_SQL):
        by_variant.setdefault(variant_id, []).append(values)
    return {variant: np.array(rows) for variant, rows in by_variant.items()}


def ratio_estimate(units: np.ndarray, column: int) -> tuple[float, float]:
    """Mean per generation and its standard error by the delta method over units."""
    numerator, denominator = units[:, column], units[:, 0]
    n = len(units)
    mean = numerator.sum() / denominator.sum()
    m_num, m_den = numerator.mean(), denominator.mean()
    covariance = np.cov(numerator, denominator, ddof=1)
    variance = (
        covariance[0, 0] - 2 * mean * covariance[0, 1] + mean**2 * covariance[1, 1]
    ) / m_den**2
    assert np.isclose(m_num / m_den, mean)
    return mean, float(np.sqrt(variance / n))


@pytest.mark.parametrize(
    "variant_id", sorted(v for v, t in VARIANT_TRUTHS.items() if v // 10 in (1, 2, 3, 4, 6, 7))
)
def test_observed_rates_match_the_stated_truth_within_sampling_error(per_unit, variant_id):
    units = per_unit[variant_id]
    truth = VARIANT_TRUTHS[variant_id]
    acceptance, acceptance_se = ratio_estimate(units, 1)
    edits, edits_se = ratio_estimate(units, 2)
    assert abs(acceptance - truth.acceptance_rate) < 4.5 * acceptance_se, (acceptance, truth)
    assert abs(edits - truth.edit_count) < 4.5 * edits_se, (edits, truth)


def test_units_are_heterogeneous_so_generations_are_correlated(per_unit):
    # Design effect: the delta-method variance over units versus the naive binomial variance
    # of independent generations. Per-user propensities must make it clearly above 1.
    units = per_unit[11]
    acceptance, se = ratio_estimate(units, 1)
    naive_se = np.sqrt(acceptance * (1 - acceptance) / units[:, 0].sum())
    assert (se / naive_se) ** 2 > 1.5


@pytest.mark.parametrize("effect", TRUE_EFFECTS[:6], ids=lambda e: e.variant_name)
def test_true_effects_show_in_raw_means_with_the_right_sign(per_unit, effect):
    treatment, control = per_unit[effect.variant_id], per_unit[effect.control_variant_id]
    treatment_latency = treatment[:, 3].sum() / treatment[:, 0].sum()
    control_latency = control[:, 3].sum() / control[:, 0].sum()
    assert treatment_latency / control_latency == pytest.approx(effect.latency_ratio, rel=0.12)
    if abs(effect.acceptance_rate_diff) >= 0.03:
        (t_rate, t_se), (c_rate, c_se) = ratio_estimate(treatment, 1), ratio_estimate(control, 1)
        diff = t_rate - c_rate
        assert np.sign(diff) == np.sign(effect.acceptance_rate_diff)
        assert abs(diff - effect.acceptance_rate_diff) < 4 * np.hypot(t_se, c_se)


def test_the_srm_experiment_is_mismatched_and_the_others_are_not(demo_data):
    declared = dict(demo_data("select id, allocation::float8 from exp.variants"))
    counts: dict[int, dict[int, int]] = {}
    for experiment_id, variant_id, units in demo_data(
        "select experiment_id, variant_id, count(*) from exp.assignments group by 1, 2"
    ):
        counts.setdefault(experiment_id, {})[variant_id] = units
    p_values = {}
    for experiment_id, observed in counts.items():
        variants = sorted(observed)
        total = sum(observed.values())
        expected = [declared[v] * total for v in variants]
        p_values[experiment_id] = stats.chisquare([observed[v] for v in variants], expected).pvalue
    # At this test's small size the mismatch is already obvious; at the default size it is
    # p < 1e-6 (next test). The other experiments are fine.
    assert p_values.pop(SRM_EXPERIMENT_ID) < 0.01
    assert all(p > 1e-3 for p in p_values.values()), p_values
    srm = counts[SRM_EXPERIMENT_ID]
    control = next(
        v.id for e in EXPERIMENTS if e.id == SRM_EXPERIMENT_ID for v in e.variants if v.is_control
    )
    share = srm[control] / sum(srm.values())
    assert abs(share - 0.6) < 3 * np.sqrt(0.24 / sum(srm.values()))


def test_the_srm_is_far_below_1e_6_at_the_default_size():
    from datetime import UTC, datetime

    from experiment_analytics.demo_data.plan import make_plan

    plan = make_plan(200_000, datetime(2026, 11, 20, tzinfo=UTC))
    units = plan.windows[SRM_EXPERIMENT_ID].unit_count
    experiment = next(e for e in EXPERIMENTS if e.id == SRM_EXPERIMENT_ID)
    # The chi-square statistic expected for `units` units with these shares.
    expected_chi2 = units * sum(
        (v.effective_allocation - v.allocation) ** 2 / v.allocation for v in experiment.variants
    )
    assert stats.chi2.sf(expected_chi2, df=len(experiment.variants) - 1) < 1e-9
