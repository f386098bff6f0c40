"""How many generations each experiment gets on each day, and how many users it enrolls.

This is the small, deterministic bookkeeping the generator does in Python: at most a few dozen
(day, experiment) slices. The rows themselves are drawn in SQL (`events.py`). The plan depends
only on the number of events asked for, the end of the history and the day index, so appending
a day after the end reuses exactly the same users and numbering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from experiment_analytics.demo_data.scenario import (
    EXPERIMENTS,
    GENERATIONS_PER_UNIT,
    HISTORY_DAYS,
    IGNORED_SHARE,
    VARIANT_TRUTHS,
    ExperimentSpec,
)

DAY = timedelta(days=1)
# Weekend traffic is lower; weights average 1 over a week (Monday first).
WEEKDAY_WEIGHTS = (1.08, 1.12, 1.12, 1.1, 1.0, 0.8, 0.78)
MIN_UNITS_PER_VARIANT = 10
MAX_RAMP = timedelta(days=3)


def expected_outcome_share() -> float:
    """The share of generations that get an outcome event, averaged over running variants."""
    rates = [
        VARIANT_TRUTHS[variant.id].acceptance_rate
        for experiment in EXPERIMENTS
        if experiment.start_day is not None
        for variant in experiment.variants
    ]
    keep = sum(rates) / len(rates)
    return keep + (1 - keep) * (1 - IGNORED_SHARE)


@dataclass(frozen=True)
class Slice:
    """The generations of one experiment within one day."""

    day_index: int
    experiment_id: int
    window_start: datetime
    window_end: datetime
    first_generation: int  # global 1-based index of its first generation
    generation_count: int


@dataclass(frozen=True)
class ExperimentWindow:
    experiment_id: int
    started_at: datetime
    stopped_at: datetime | None  # None: still running
    unit_count: int
    user_offset: int  # where its users start in the shared user pool
    ramp_seconds: float  # users enroll linearly over this long after the start


@dataclass(frozen=True)
class Plan:
    events: int
    history_start: datetime
    end_at: datetime
    generations_per_day: float
    user_pool: int
    windows: dict[int, ExperimentWindow]
    # The rate of the days after the history (appended days); None: the history's own rate.
    appended_generations_per_day: float | None = None

    def with_appended_day_events(self, day_events: int) -> Plan:
        """This plan with about `day_events` events on each day after the history.

        The history's days, users and units stay exactly as they are (the same rows are drawn
        for them): only the traffic of the appended days changes. The benchmark appends a day of
        a fixed size to histories of different sizes this way (BENCHMARKS.md).
        """
        per_day = day_events / (1 + expected_outcome_share())
        return replace(self, appended_generations_per_day=per_day)

    def day_start(self, day_index: int) -> datetime:
        return self.history_start + day_index * DAY

    def slices(self, first_day: int, last_day: int) -> list[Slice]:
        """The slices of days first_day..last_day (inclusive), numbered from day 0."""
        slices: list[Slice] = []
        next_generation = 1 + sum(
            slice_.generation_count for day in range(first_day) for slice_ in self._day(day, 1)
        )
        for day in range(first_day, last_day + 1):
            for slice_ in self._day(day, next_generation):
                slices.append(slice_)
                next_generation += slice_.generation_count
        return slices

    def _day(self, day_index: int, first_generation: int) -> list[Slice]:
        start = self.day_start(day_index)
        end = start + DAY
        overlaps: list[tuple[ExperimentSpec, datetime, datetime, float]] = []
        for experiment in EXPERIMENTS:
            window = self.windows.get(experiment.id)
            if window is None:
                continue
            lo = max(start, window.started_at)
            hi = end if window.stopped_at is None else min(end, window.stopped_at)
            if hi > lo:
                weight = experiment.traffic_weight * (hi - lo).total_seconds()
                overlaps.append((experiment, lo, hi, weight))
        if not overlaps:
            return []
        rate = self.generations_per_day
        if day_index >= HISTORY_DAYS and self.appended_generations_per_day is not None:
            rate = self.appended_generations_per_day
        total = round(rate * WEEKDAY_WEIGHTS[start.weekday()])
        counts = _largest_remainder(total, [weight for *_, weight in overlaps])
        slices = []
        for (experiment, lo, hi, _), count in zip(overlaps, counts, strict=True):
            slices.append(Slice(day_index, experiment.id, lo, hi, first_generation, count))
            first_generation += count
        return slices


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    weight_sum = sum(weights)
    exact = [total * weight / weight_sum for weight in weights]
    counts = [math.floor(value) for value in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def make_plan(events: int, end_at: datetime) -> Plan:
    """The plan for about `events` events over the HISTORY_DAYS days before `end_at`."""
    history_start = end_at - HISTORY_DAYS * DAY
    generations = events / (1 + expected_outcome_share())
    generations_per_day = generations / HISTORY_DAYS
    provisional = Plan(events, history_start, end_at, generations_per_day, 1, {})
    windows: dict[int, ExperimentWindow] = {}
    for experiment in EXPERIMENTS:
        if experiment.start_day is None:
            continue
        started = history_start + timedelta(days=experiment.start_day)
        stopped = (
            None
            if experiment.stop_day is None
            else history_start + timedelta(days=experiment.stop_day)
        )
        duration = (stopped or end_at) - started
        windows[experiment.id] = ExperimentWindow(
            experiment.id, started, stopped, 0, 0, min(MAX_RAMP, duration * 0.3).total_seconds()
        )
    provisional = Plan(events, history_start, end_at, generations_per_day, 1, windows)
    per_experiment: dict[int, int] = dict.fromkeys(windows, 0)
    for slice_ in provisional.slices(0, HISTORY_DAYS - 1):
        per_experiment[slice_.experiment_id] += slice_.generation_count
    sized: dict[int, ExperimentWindow] = {}
    offset = 0
    unit_counts = {}
    for experiment in EXPERIMENTS:
        if experiment.id not in windows:
            continue
        floor = MIN_UNITS_PER_VARIANT * len(experiment.variants)
        unit_counts[experiment.id] = max(
            floor, round(per_experiment[experiment.id] / GENERATIONS_PER_UNIT)
        )
    # Users take part in more than one experiment: the pool is smaller than the sum of units.
    user_pool = max(max(unit_counts.values()), math.ceil(sum(unit_counts.values()) * 0.6))
    for experiment_id, window in windows.items():
        sized[experiment_id] = ExperimentWindow(
            experiment_id,
            window.started_at,
            window.stopped_at,
            unit_counts[experiment_id],
            offset % user_pool,
            window.ramp_seconds,
        )
        offset += unit_counts[experiment_id] // 2 + 7919
    return Plan(events, history_start, end_at, generations_per_day, user_pool, sized)
