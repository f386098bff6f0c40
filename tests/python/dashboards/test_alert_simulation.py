"""The low-acceptance alert's simulation (experiment_analytics.alerting.simulation) at a small
size: reproducible, and the rule it measures behaves as the alert's description says. The
full-size numbers in the description come from `python -m experiment_analytics.alerting.simulation`
(1,000 experiments per case); test_alerts.py checks that the SQL alert decides exactly like this
rule."""

from __future__ import annotations

import numpy as np

from experiment_analytics.alerting import simulation

SMALL = simulation.Traffic(days=7.0, units_per_arm_per_day=100)


def test_the_measurement_is_reproducible_and_no_change_rarely_alarms():
    first = simulation.measure(experiments=20, seed=3, traffic=SMALL)
    assert first == simulation.measure(experiments=20, seed=3, traffic=SMALL)
    assert first.checks_per_experiment == 28
    assert first.false_alarm_rate <= 0.05
    assert first.messages_per_detected_experiment in (0.0, 1.0)  # never more than one


def test_a_strong_drop_is_detected_once_and_no_change_never_is():
    rng = np.random.default_rng(5)
    checks = simulation.check_times(SMALL)
    rule = simulation.Rule()
    drops = [simulation.simulate_experiment(rng, SMALL, 0.6) for _ in range(5)]
    same = [simulation.simulate_experiment(rng, SMALL, 1.0) for _ in range(5)]
    assert all(len(simulation.notifications(e, checks, rule)) == 1 for e in drops)
    assert all(simulation.notifications(e, checks, rule) == [] for e in same)
