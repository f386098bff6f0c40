"""Measure the low-acceptance alert (analyses/metabase/alerts/alert_low_acceptance.sql).

The alert tests, every 6 hours over an experiment's cumulative data, whether the treatment's
acceptance rate is below 0.9 x the control's, with an anytime-valid confidence sequence, and
sends a message when that decision starts to hold. This module simulates experiments event by
event (units arriving, their generations, outcomes arriving later), applies the same decision
rule as the SQL at every check (numpy, float64, the same formulas), and counts the messages:

- false-alarm rate: the share of experiments WITHOUT a true change (treatment = control) that
  get at least one message during the horizon;
- at the boundary: the same with the treatment exactly at 0.9 x control (the worst case the
  test's guarantee covers);
- detection delay: for a TRUE 15 % drop (treatment = 0.85 x control), hours from the
  experiment's start to the first message, and the share detected within the horizon.

`python -m experiment_analytics.alerting.simulation` prints the full-size measurement (fixed
seed: the same numbers every run); the tests run a small size and check that the SQL alert
decides exactly like this rule on the same simulated events.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

CHECK_EVERY_HOURS = 6.0
# The full-size measurement quoted in the alert's description (metabase/publisher.yml).
SEED = 20261201
EXPERIMENTS = 1000


@dataclass(frozen=True)
class Traffic:
    """One simulated experiment: a control and one treatment arm."""

    days: float = 14.0
    units_per_arm_per_day: int = 200
    mean_extra_generations: float = 2.0  # a unit makes 1 + Poisson(this) generations
    mean_hours_between_generations: float = 24.0
    mean_outcome_delay_minutes: float = 30.0
    control_acceptance: float = 0.5
    unit_spread: float = 0.2  # a unit's own acceptance: base +- uniform(spread)


@dataclass(frozen=True)
class Rule:
    """The alert's decision rule (dbt vars alert_acceptance_*)."""

    ratio: float = 0.9  # 1 - alert_acceptance_relative_drop
    alpha: float = 0.05
    tuning_units: float = 5000.0
    minimum_units_per_arm: int = 30


@dataclass
class Experiment:
    """The events of one simulated experiment, hours since its start."""

    arm: np.ndarray  # per generation: 0 control, 1 treatment
    unit: np.ndarray  # per generation: unit index (unique across arms)
    generated_at: np.ndarray  # hours
    accepted: np.ndarray  # bool
    outcome_at: np.ndarray  # hours; the outcome (accepted/edited or rejected) is received then


def simulate_experiment(rng: np.random.Generator, traffic: Traffic, effect: float) -> Experiment:
    """Treatment units accept with `effect` x their control-like propensity."""
    horizon = traffic.days * 24.0
    arms, units, times, accepted, outcomes = [], [], [], [], []
    next_unit = 0
    for arm in (0, 1):
        n_units = rng.poisson(traffic.units_per_arm_per_day * traffic.days)
        arrival = rng.uniform(0.0, horizon, n_units)
        propensity = traffic.control_acceptance + rng.uniform(
            -traffic.unit_spread, traffic.unit_spread, n_units
        )
        if arm == 1:
            propensity = propensity * effect
        counts = 1 + rng.poisson(traffic.mean_extra_generations, n_units)
        unit_of = np.repeat(np.arange(n_units), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        rank = np.arange(unit_of.size) - first
        gaps = rng.exponential(traffic.mean_hours_between_generations, unit_of.size)
        gaps[rank == 0] = 0.0
        # time of each generation: arrival plus the gaps before it (cumulative within the unit)
        gap_sums = np.cumsum(gaps)
        offsets = gap_sums - np.repeat(gap_sums[np.cumsum(counts) - counts], counts)
        generated = arrival[unit_of] + offsets
        keep = generated < horizon
        unit_of, generated = unit_of[keep], generated[keep]
        arms.append(np.full(unit_of.size, arm))
        units.append(unit_of + next_unit)
        times.append(generated)
        accepted.append(rng.random(unit_of.size) < propensity[unit_of])
        outcomes.append(
            generated + rng.exponential(traffic.mean_outcome_delay_minutes / 60.0, unit_of.size)
        )
        next_unit += n_units
    return Experiment(
        np.concatenate(arms),
        np.concatenate(units),
        np.concatenate(times),
        np.concatenate(accepted),
        np.concatenate(outcomes),
    )


def check_times(traffic: Traffic) -> np.ndarray:
    """Hours since the start of each check (every 6 hours, through the horizon)."""
    count = math.floor(traffic.days * 24.0 / CHECK_EVERY_HOURS)
    return CHECK_EVERY_HOURS * np.arange(1, count + 1)


def _arm_statistics(experiment: Experiment, arm: int, at: float) -> tuple[int, float, float] | None:
    """(units, acceptance rate, delta-method variance of the rate) on the data received by `at`,
    over the units with at least one generation by then (STATISTICS.md section 1)."""
    seen = (experiment.arm == arm) & (experiment.generated_at <= at)
    if not seen.any():
        return None
    size = int(experiment.unit.max()) + 1
    generations = np.bincount(experiment.unit[seen], minlength=size).astype(float)
    accepted_by_then = (experiment.accepted & (experiment.outcome_at <= at))[seen]
    accepted = np.bincount(experiment.unit[seen], weights=accepted_by_then, minlength=size)
    present = generations > 0
    generations, accepted = generations[present], accepted[present]
    n = int(generations.size)
    rate = float(accepted.sum() / generations.sum())
    if n < 2:
        return n, rate, math.nan
    mean_m, mean_d = accepted.mean(), generations.mean()
    var_m, var_d = accepted.var(ddof=1), generations.var(ddof=1)
    cov = float(((accepted - mean_m) * (generations - mean_d)).sum() / (n - 1))
    ratio = mean_m / mean_d
    variance = (var_m - 2.0 * ratio * cov + ratio**2 * var_d) / mean_d**2 / n
    return n, rate, float(variance)


def confidence_sequence_half_width(variance: float, total_units: float, rule: Rule) -> float:
    """macros/statistics/welch.sql confidence_sequence_half_width, in Python."""
    rho_squared = (-2.0 * math.log(rule.alpha) + math.log(1.0 - 2.0 * math.log(rule.alpha))) / (
        rule.tuning_units
    )
    n_rho_squared = total_units * rho_squared
    return math.sqrt(total_units * variance) * math.sqrt(
        2.0
        * (n_rho_squared + 1.0)
        / (total_units * n_rho_squared)
        * math.log(math.sqrt(n_rho_squared + 1.0) / rule.alpha)
    )


def upper_bound(experiment: Experiment, at: float, rule: Rule) -> float | None:
    """The SQL's upper end of the confidence sequence for rate_T - ratio x rate_C on the data
    received by `at`; None where the SQL's gates give no decision."""
    control = _arm_statistics(experiment, 0, at)
    treatment = _arm_statistics(experiment, 1, at)
    if control is None or treatment is None:
        return None
    (n_c, rate_c, var_c), (n_t, rate_t, var_t) = control, treatment
    if n_c < rule.minimum_units_per_arm or n_t < rule.minimum_units_per_arm:
        return None
    if not (rate_c > 0 and var_c > 0 and var_t > 0):
        return None
    difference = rate_t - rule.ratio * rate_c
    variance = var_t + rule.ratio**2 * var_c
    return difference + confidence_sequence_half_width(variance, n_t + n_c, rule)


def notifications(experiment: Experiment, checks: np.ndarray, rule: Rule) -> list[float]:
    """The check times (hours) at which the alert sends a message: the first check where the
    running intersection of the confidence sequence (the smallest upper end so far) is below
    0. It never widens again, so there is at most one message."""
    running = math.inf
    for at in checks:
        upper = upper_bound(experiment, float(at), rule)
        if upper is not None:
            running = min(running, upper)
        if running < 0:
            return [float(at)]
    return []


@dataclass(frozen=True)
class Measurement:
    experiments: int
    seed: int
    traffic: Traffic
    rule: Rule
    false_alarm_rate: float  # no true change: share with >= 1 message
    false_alarm_messages: int
    boundary_alarm_rate: float  # treatment exactly at ratio x control
    detected_share: float  # true 15 % drop: share with a message within the horizon
    median_detection_hours: float | None
    p90_detection_hours: float | None
    messages_per_detected_experiment: float
    checks_per_experiment: int = field(default=0)


def measure(
    experiments: int = EXPERIMENTS,
    seed: int = SEED,
    traffic: Traffic | None = None,
    rule: Rule | None = None,
    drop: float = 0.15,
) -> Measurement:
    traffic = traffic or Traffic()
    rule = rule or Rule()
    rng = np.random.default_rng(seed)
    checks = check_times(traffic)
    alarms = [
        notifications(simulate_experiment(rng, traffic, 1.0), checks, rule)
        for _ in range(experiments)
    ]
    boundary = [
        notifications(simulate_experiment(rng, traffic, rule.ratio), checks, rule)
        for _ in range(experiments)
    ]
    drops = [
        notifications(simulate_experiment(rng, traffic, 1.0 - drop), checks, rule)
        for _ in range(experiments)
    ]
    delays = np.array([sent[0] for sent in drops if sent])
    detected = [sent for sent in drops if sent]
    return Measurement(
        experiments=experiments,
        seed=seed,
        traffic=traffic,
        rule=rule,
        false_alarm_rate=sum(bool(sent) for sent in alarms) / experiments,
        false_alarm_messages=sum(len(sent) for sent in alarms),
        boundary_alarm_rate=sum(bool(sent) for sent in boundary) / experiments,
        detected_share=len(detected) / experiments,
        median_detection_hours=float(np.median(delays)) if delays.size else None,
        p90_detection_hours=float(np.quantile(delays, 0.9)) if delays.size else None,
        messages_per_detected_experiment=(
            sum(len(sent) for sent in detected) / len(detected) if detected else 0.0
        ),
        checks_per_experiment=int(checks.size),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiment_analytics.alerting.simulation", description=__doc__
    )
    parser.add_argument("--experiments", type=int, default=EXPERIMENTS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    print(json.dumps(asdict(measure(args.experiments, args.seed)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
