"""The benchmark (`experiment-analytics bench --events N`, `make bench EVENTS=N`).

In one go, on its own fresh embedded PostgreSQL (a temporary directory and a free port, so the
dev warehouse is never touched): generate N demo events; `dbt build --full-refresh`; append one
more day of events (late events of earlier days included); incremental `dbt build`; every
dashboard card and alert query with the dashboards' default filters, each timed (the SQL the
publisher pushes, compiled by dbt; filters substituted as Metabase does); and a baseline, one
hand-written statement computing per-variant-per-day aggregates with latency percentiles in a
single pass over exp.events. Prints the timings and ratios and appends a row to BENCHMARKS.md
(plus the per-card times). Targets: full build <= 3x baseline, incremental build <= 20% of
full build, every card and alert query <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR, DbtResult, run_dbt
from experiment_analytics.demo_data import append_days, default_end_at, generate
from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.warehouse import connect, embedded

_logger = logging.getLogger(__name__)

BENCHMARKS_FILE = PROJECT_DIR / "BENCHMARKS.md"
FULL_TO_BASELINE_TARGET = 3.0
INCREMENTAL_TO_FULL_TARGET = 0.20
CARD_SECONDS_TARGET = 1.0

# The baseline: the per-variant-per-day aggregates of the marts, computed by hand in one
# statement that reads exp.events once (outcomes meet their generation in the per-request step).
BASELINE_SQL = """
create table benchmark_baseline.variant_daily_metrics as
with
    requests as (
        select
            request_id,
            min(experiment_id) as experiment_id,
            min(variant_id) as variant_id,
            min(occurred_at) filter (where event_type = 'generation') as generated_at,
            max(latency_ms) as latency_ms,
            max(prompt_tokens + completion_tokens) as tokens,
            max(constraint_respect_score) as constraint_respect_score,
            bool_or(event_type in ('accepted', 'edited')) as is_accepted,
            coalesce(max(edit_count), 0) as edit_count
        from exp.events
        group by request_id
    )
select
    experiment_id,
    variant_id,
    (generated_at at time zone 'UTC')::date as metric_date,
    count(*) as generation_count,
    avg(is_accepted::int) as acceptance_rate,
    var_samp(is_accepted::int) as acceptance_rate_variance,
    avg(edit_count) as edits_per_generation,
    avg(latency_ms) as avg_latency_ms,
    percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
    percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
    percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms,
    avg(tokens) as tokens_per_request,
    avg(constraint_respect_score) as avg_constraint_respect_score,
    count(*) filter (where constraint_respect_score < 1) as constraint_violation_count
from requests
where generated_at is not null
group by 1, 2, 3
"""


class BenchmarkError(ExperimentAnalyticsError):
    """The benchmark could not run as asked."""


@dataclass(frozen=True)
class BenchmarkResult:
    started_at: datetime
    events: int
    appended_events: int
    cores: int
    ram_gb: float
    postgres_version: str
    load_average: float
    generate_seconds: float
    full_build_seconds: float
    append_seconds: float
    incremental_build_seconds: float
    baseline_seconds: float
    dbt_summary: str
    card_seconds: tuple[tuple[str, float], ...] = ()

    @property
    def slowest_card(self) -> tuple[str, float]:
        return max(self.card_seconds, key=lambda item: item[1], default=("none", float("nan")))

    @property
    def card_target_met(self) -> bool:
        return bool(self.card_seconds) and self.slowest_card[1] <= CARD_SECONDS_TARGET

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def _dbt_summary(output: str) -> str:
    match = re.search(
        r"Done\. (PASS=\d+ WARN=\d+ ERROR=\d+ SKIP=\d+\s*(?:NO-OP=\d+ )?TOTAL=\d+)", output
    )
    return match.group(1) if match else "no summary"


def _node_times(target: Path) -> str:
    """Where a build's time went: model vs test time summed over nodes, the slowest nodes."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (OSError, KeyError, ValueError):
        return "no run_results.json"
    totals: dict[str, float] = {}
    for node in results:
        kind = node["unique_id"].split(".", 1)[0]
        totals[kind] = totals.get(kind, 0.0) + float(node.get("execution_time") or 0.0)
    slowest = sorted(results, key=lambda node: -float(node.get("execution_time") or 0.0))[:3]
    return (
        ", ".join(f"{kind}s {seconds:.0f} s" for kind, seconds in sorted(totals.items()))
        + "; slowest: "
        + ", ".join(
            f"{node['unique_id'].split('.')[2]} {float(node['execution_time']):.0f} s"
            for node in slowest
        )
    )


def _build(args: list[str], settings, env: dict[str, str], target: Path) -> DbtResult:
    result = run_dbt(args, settings, extra_env=env, target_path=target, check=False)
    _logger.info("`dbt %s` node time: %s", " ".join(args), _node_times(target))
    if result.returncode != 0:
        failures = [line for line in result.output.splitlines() if "Failure in" in line]
        _logger.warning(
            "`dbt %s` exited %d: %s",
            " ".join(args),
            result.returncode,
            "; ".join(failures) or result.output[-2000:],
        )
    return result


def time_card_queries(settings, target: Path) -> list[tuple[str, float]]:
    """Every dashboard card (with the dashboard's default filter values) and every alert query,
    compiled as the publisher compiles them and run once each on the warehouse: wall-clock
    seconds per query, as `dashboard.card` / `alert.<key>`. A failing query raises."""
    from experiment_analytics.metabase.run import PublishOptions, validate_only
    from experiment_analytics.native_query import compile_native
    from experiment_analytics.preview.cards import FieldColumns, compile_card, filter_values

    specs = validate_only(
        PublishOptions(metabase_url="", warehouse=settings, target_dir=target, compile=True)
    )
    fields = FieldColumns(specs.project)
    queries = []
    for spec in specs.dashboards:
        values = filter_values(spec, {})
        for card in spec.cards:
            sql = specs.project.analyses[card.query].compiled_sql
            queries.append(
                (f"{spec.dashboard}.{card.key}", compile_card(spec, card, sql, values, fields))
            )
    for alert in specs.config.alerts:
        sql = specs.project.analyses[alert.query].compiled_sql
        queries.append((f"alert.{alert.key}", compile_native(sql, {}, [], fields.column_of)))
    timings = []
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            for name, compiled in queries:
                started = time.perf_counter()
                cur.execute(compiled.sql, compiled.params)
                cur.fetchall()
                seconds = time.perf_counter() - started
                _logger.info("card %s: %.3f s", name, seconds)
                timings.append((name, seconds))
    finally:
        conn.close()
    return timings


def _timed(label: str, action):
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    _logger.info("%s: %.1f s", label, seconds)
    return value, seconds


def run_benchmark(events: int, seed: int = 42, workdir: Path | None = None) -> BenchmarkResult:
    """Run every step on a fresh embedded server and return the timings (see module doc)."""
    if events < 1000:
        raise BenchmarkError(f"--events must be at least 1000, got {events}")
    own_workdir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="ea-bench-")) if workdir is None else workdir
    pgdata = workdir / "pgdata"
    started_at = datetime.now(UTC)
    load_average = os.getloadavg()[0]
    # The appended day ends at the current hour, so the data set looks like a live one.
    end_at = default_end_at() - timedelta(days=1)
    settings = embedded.start(pgdata, port=_free_port(), dbname="experiments")
    dbt_env = {"DBT_LOG_PATH": str(workdir / "logs")}
    dbt_target = workdir / "target"
    try:
        conn = connect(settings)
        with conn.cursor() as cur:
            cur.execute("show server_version")
            postgres_version = cur.fetchone()[0]
        conn.close()
        generated, generate_seconds = _timed(
            "generate", lambda: generate(settings, events=events, seed=seed, end_at=end_at)
        )
        # A failing data test does not stop the benchmark: its summary goes into the report
        # (dbt skips what depends on a failed test, so such a row is not comparable).
        full, full_seconds = _timed(
            "dbt build --full-refresh",
            lambda: _build(["build", "--full-refresh"], settings, dbt_env, dbt_target),
        )
        full_nodes = _node_times(dbt_target)
        appended, append_seconds = _timed(
            "append one day",
            lambda: append_days(settings, events=events, seed=seed, end_at=end_at, days=1),
        )
        incremental, incremental_seconds = _timed(
            "dbt build (incremental)", lambda: _build(["build"], settings, dbt_env, dbt_target)
        )
        incremental_nodes = _node_times(dbt_target)
        card_seconds, _ = _timed(
            "card and alert queries", lambda: time_card_queries(settings, dbt_target)
        )
        conn = connect(settings)
        with conn.cursor() as cur:
            cur.execute("drop schema if exists benchmark_baseline cascade")
            cur.execute("create schema benchmark_baseline")
            _, baseline_seconds = _timed("baseline statement", lambda: cur.execute(BASELINE_SQL))
        conn.close()
    finally:
        embedded.stop(pgdata)
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return BenchmarkResult(
        started_at=started_at,
        events=generated.events,
        appended_events=appended.events,
        cores=os.cpu_count() or 0,
        ram_gb=_ram_gb(),
        postgres_version=postgres_version,
        load_average=load_average,
        generate_seconds=generate_seconds,
        full_build_seconds=full_seconds,
        append_seconds=append_seconds,
        incremental_build_seconds=incremental_seconds,
        baseline_seconds=baseline_seconds,
        dbt_summary=f"full: {_dbt_summary(full.output)} ({full_nodes}); "
        f"incremental: {_dbt_summary(incremental.output)} ({incremental_nodes})",
        card_seconds=tuple(card_seconds),
    )


TABLE_HEADER = (
    "| date (UTC) | events | machine | PostgreSQL | load | generate s | full build s "
    "| append 1 day s | incremental s | baseline s | full / baseline | incremental / full "
    "| targets | dbt build |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
)


def report_row(result: BenchmarkResult) -> str:
    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    return (
        f"| {result.started_at:%Y-%m-%d %H:%M} | {result.events:,} "
        f"| {result.cores} cores, {result.ram_gb:.0f} GB | {result.postgres_version} "
        f"| {result.load_average:.1f} | {result.generate_seconds:.1f} "
        f"| {result.full_build_seconds:.1f} | {result.append_seconds:.1f} "
        f"({result.appended_events:,} events) | {result.incremental_build_seconds:.1f} "
        f"| {result.baseline_seconds:.1f} | {result.full_to_baseline:.2f} "
        f"| {result.incremental_to_full:.2f} "
        f"| full<=3x: {verdict(result.full_target_met)}; "
        f"incr<=20%: {verdict(result.incremental_target_met)}; "
        f"cards<=1s: {verdict(result.card_target_met)} (slowest {result.slowest_card[0]} "
        f"{result.slowest_card[1]:.2f} s) | {result.dbt_summary} |\n"
    )


def card_report(result: BenchmarkResult) -> str:
    """The per-card times of a run, as a markdown list (one line, for the report)."""
    return (
        f"- {result.started_at:%Y-%m-%d %H:%M} ({result.events:,} events, load "
        f"{result.load_average:.1f}), card and alert queries with default filters, seconds: "
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in result.card_seconds)
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


def _bench(args: argparse.Namespace) -> None:
    result = run_benchmark(args.events, seed=args.seed)
    print(
        f"events {result.events:,}: generate {result.generate_seconds:.1f} s, "
        f"full build {result.full_build_seconds:.1f} s, append {result.append_seconds:.1f} s, "
        f"incremental build {result.incremental_build_seconds:.1f} s, "
        f"baseline {result.baseline_seconds:.1f} s\n"
        f"full/baseline {result.full_to_baseline:.2f} (target <= {FULL_TO_BASELINE_TARGET}: "
        f"{'met' if result.full_target_met else 'missed'}), incremental/full "
        f"{result.incremental_to_full:.2f} (target <= {INCREMENTAL_TO_FULL_TARGET}: "
        f"{'met' if result.incremental_target_met else 'missed'}), slowest card "
        f"{result.slowest_card[0]} {result.slowest_card[1]:.2f} s (target <= "
        f"{CARD_SECONDS_TARGET} s: {'met' if result.card_target_met else 'missed'})"
    )
    if not args.no_report:
        append_report(result, Path(args.report))
        print(f"appended to {args.report}")


def register(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser(
        "bench",
        help="time demo generation, full and incremental dbt builds against a SQL baseline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("--events", type=int, default=1_000_000, help="(default: %(default)s)")
    bench.add_argument("--seed", type=int, default=42, help="(default: %(default)s)")
    bench.add_argument("--report", default=str(BENCHMARKS_FILE), help="(default: %(default)s)")
    bench.add_argument("--no-report", action="store_true", help="print only")
    bench.set_defaults(handler=_bench)
