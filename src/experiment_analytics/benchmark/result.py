"""What a benchmark run measured, its targets, and its report in BENCHMARKS.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.errors import ExperimentAnalyticsError

BENCHMARKS_FILE = PROJECT_DIR / "BENCHMARKS.md"
FULL_TO_BASELINE_TARGET = 3.0
INCREMENTAL_TO_FULL_TARGET = 0.20
CARD_SECONDS_TARGET = 1.0


class BenchmarkError(ExperimentAnalyticsError):
    """The benchmark could not run as asked."""


@dataclass(frozen=True)
class BenchmarkResult:
    """One engine's figures in one run. `engine` names it with its version ("PostgreSQL 18.0",
    "Spark 4.0.1 local[2]"); `append_seconds` is what getting the appended day onto that
    engine took (on Spark: the PostgreSQL append plus the reload of the source tables)."""

    started_at: datetime
    events: int
    appended_events: int
    cores: int
    ram_gb: float
    engine: str
    load_average: float
    generate_seconds: float
    full_build_seconds: float
    append_seconds: float
    incremental_build_seconds: float
    baseline_seconds: float
    dbt_summary: str
    card_seconds: tuple[tuple[str, float], ...] = ()
    card_failures: tuple[tuple[str, str], ...] = ()  # (query, the engine's error)

    @property
    def slowest_card(self) -> tuple[str, float]:
        return max(self.card_seconds, key=lambda item: item[1], default=("none", float("nan")))

    @property
    def card_target_met(self) -> bool:
        return (
            bool(self.card_seconds)
            and not self.card_failures
            and self.slowest_card[1] <= CARD_SECONDS_TARGET
        )

    @property
    def full_to_baseline(self) -> float:
        return self.full_build_seconds / self.baseline_seconds

    @property
    def incremental_to_full(self) -> float:
        return self.incremental_build_seconds / self.full_build_seconds

    @property
    def full_target_met(self) -> bool:
        return self.full_to_baseline <= FULL_TO_BASELINE_TARGET

    @property
    def incremental_target_met(self) -> bool:
        return self.incremental_to_full <= INCREMENTAL_TO_FULL_TARGET


TABLE_HEADER = (
    "| date (UTC) | events | machine | engine | load | generate s | full build s "
    "| append 1 day s | incremental s | baseline s | full / baseline | incremental / full "
    "| targets | dbt build |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
)


def verdict(met: bool) -> str:
    """How the report and the command's summary say whether a target was met."""
    return "met" if met else "MISSED"


def report_row(result: BenchmarkResult) -> str:
    return (
        f"| {result.started_at:%Y-%m-%d %H:%M} | {result.events:,} "
        f"| {result.cores} cores, {result.ram_gb:.0f} GB | {result.engine} "
        f"| {result.load_average:.1f} | {result.generate_seconds:.1f} "
        f"| {result.full_build_seconds:.1f} | {result.append_seconds:.1f} "
        f"({result.appended_events:,} events) | {result.incremental_build_seconds:.1f} "
        f"| {result.baseline_seconds:.1f} | {result.full_to_baseline:.2f} "
        f"| {result.incremental_to_full:.2f} "
        f"| full<=3x: {verdict(result.full_target_met)}; "
        f"incr<=20%: {verdict(result.incremental_target_met)}; "
        f"cards<=1s: {verdict(result.card_target_met)} (slowest {result.slowest_card[0]} "
        f"{result.slowest_card[1]:.2f} s{_failed(result)}) | {result.dbt_summary} |\n"
    )


def _failed(result: BenchmarkResult) -> str:
    return f"; {len(result.card_failures)} failed" if result.card_failures else ""


def card_report(result: BenchmarkResult) -> str:
    """The per-card times of a run, as a markdown list (one line, for the report)."""
    return (
        f"- {result.started_at:%Y-%m-%d %H:%M} ({result.events:,} events, {result.engine}, load "
        f"{result.load_average:.1f}), card and alert queries with default filters, seconds: "
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in result.card_seconds)
        + "".join(f"; {name} FAILED: {error}" for name, error in result.card_failures)
        + "\n"
    )


def append_report(result: BenchmarkResult, path: Path = BENCHMARKS_FILE) -> None:
    """Append a row to the results table of BENCHMARKS.md (the table is the file's end)."""
    text = path.read_text() if path.exists() else ""
    if TABLE_HEADER not in text:
        text += ("\n" if text and not text.endswith("\n") else "") + "\n## Results\n\n"
        text += TABLE_HEADER
    text += report_row(result)
    cards_header = "\n## Card and alert query times\n\n"
    cards = card_report(result)
    # the results table is the end of the file: per-card lines go into their own section,
    # kept before the table
    if cards_header in text:
        text = text.replace(cards_header, cards_header + cards, 1)
    else:
        head, table = text.split("\n## Results\n", 1)
        text = head.rstrip("\n") + "\n" + cards_header + cards + "\n## Results\n" + table
    path.write_text(text)


def summary_line(result: BenchmarkResult) -> str:
    """What the command prints for one engine."""
    return (
        f"{result.engine}, events {result.events:,}: generate {result.generate_seconds:.1f} s, "
        f"full build {result.full_build_seconds:.1f} s, append {result.append_seconds:.1f} s, "
        f"incremental build {result.incremental_build_seconds:.1f} s, "
        f"baseline {result.baseline_seconds:.1f} s\n"
        f"  full/baseline {result.full_to_baseline:.2f} (target <= {FULL_TO_BASELINE_TARGET}: "
        f"{verdict(result.full_target_met)}), incremental/full {result.incremental_to_full:.2f} "
        f"(target <= {INCREMENTAL_TO_FULL_TARGET}: {verdict(result.incremental_target_met)}), "
        f"slowest card {result.slowest_card[0]} {result.slowest_card[1]:.2f} s{_failed(result)} "
        f"(target <= {CARD_SECONDS_TARGET} s: {verdict(result.card_target_met)})"
    )
