"""The benchmark on PostgreSQL (`experiment-analytics bench --events N`, `make bench EVENTS=N`).

In one go, on its own fresh embedded PostgreSQL (a temporary directory and a free port, so the
dev warehouse is never touched): generate N demo events; `dbt build --full-refresh`; append one
more day of events (late events of earlier days included); incremental `dbt build`; every
dashboard card and alert query with the dashboards' default filters, each timed (the SQL the
publisher pushes, compiled by dbt; filters substituted as Metabase does); and a baseline, one
hand-written statement computing per-variant-per-day aggregates with latency percentiles in a
single pass over exp.events. The appended day has the data set's own daily rate unless
`append_events` fixes its size. `snapshot` (the Spark benchmark's) is called with the data set
after the generation and after the append, outside every timed step.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from experiment_analytics.benchmark.baseline import baseline_sql
from experiment_analytics.benchmark.result import BenchmarkError, BenchmarkResult
from experiment_analytics.benchmark.steps import (
    build,
    card_queries,
    dbt_summary,
    free_port,
    node_times,
    ram_gb,
    time_queries,
    timed,
)
from experiment_analytics.demo_data import append_days, default_end_at, generate
from experiment_analytics.metabase.project import compile_analyses
from experiment_analytics.warehouse import ConnectionSettings, connect, embedded

_logger = logging.getLogger(__name__)

# called as snapshot(settings, "initial" | "appended")
Snapshot = Callable[[ConnectionSettings, str], None]

# The baseline: the per-variant-per-day aggregates of the marts, computed by hand in one
# statement that reads exp.events once (baseline.py).
BASELINE_SQL = baseline_sql("postgres")


def time_card_queries(
    settings: ConnectionSettings, manifest: Path
) -> tuple[list[tuple[str, float]], list[tuple[str, str]]]:
    """Every card and alert query (steps.card_queries of `manifest`, the analyses compiled for
    PostgreSQL) run once each on the warehouse: steps.time_queries' seconds and failures."""
    queries = card_queries(manifest)
    conn = connect(settings)
    conn.autocommit = True  # a failing query must not abort the ones after it
    try:
        with conn.cursor() as cur:

            def run(compiled):
                cur.execute(compiled.sql, compiled.params)
                cur.fetchall()

            return time_queries(queries, run)
    finally:
        conn.close()


def run_benchmark(
    events: int,
    seed: int = 42,
    workdir: Path | None = None,
    snapshot: Snapshot | None = None,
    append_events: int | None = None,
) -> BenchmarkResult:
    """Run every step on a fresh embedded server and return the timings (see module doc).

    `append_events`: the appended day holds about this many events instead of the data set's
    own daily rate (events / 30), so runs over histories of different sizes append the same
    day (BENCHMARKS.md, "Incremental cost against the history's size").
    """
    if events < 1000:
        raise BenchmarkError(f"--events must be at least 1000, got {events}")
    if append_events is not None and append_events < 1:
        raise BenchmarkError(f"--append-events must be at least 1, got {append_events}")
    own_workdir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="ea-bench-")) if workdir is None else workdir
    pgdata = workdir / "pgdata"
    started_at = datetime.now(UTC)
    load_average = os.getloadavg()[0]
    # The appended day ends at the current hour, so the data set looks like a live one.
    end_at = default_end_at() - timedelta(days=1)
    settings = embedded.start(pgdata, port=free_port(), dbname="experiments")
    dbt_env = {"DBT_LOG_PATH": str(workdir / "logs")}
    dbt_target = workdir / "target"
    try:
        conn = connect(settings)
        with conn.cursor() as cur:
            cur.execute("show server_version")
            postgres_version = cur.fetchone()[0]
        conn.close()
        generated, generate_seconds = timed(
            "generate", lambda: generate(settings, events=events, seed=seed, end_at=end_at)
        )
        if snapshot:
            snapshot(settings, "initial")
        full, full_seconds = timed(
            "dbt build --full-refresh",
            lambda: build(["build", "--full-refresh"], settings, dbt_env, dbt_target),
        )
        full_nodes = node_times(dbt_target)
        appended, append_seconds = timed(
            "append one day",
            lambda: append_days(
                settings,
                events=events,
                seed=seed,
                end_at=end_at,
                days=1,
                day_events=append_events,
            ),
        )
        if snapshot:
            snapshot(settings, "appended")
        incremental, incremental_seconds = timed(
            "dbt build (incremental)", lambda: build(["build"], settings, dbt_env, dbt_target)
        )
        incremental_nodes = node_times(dbt_target)
        (card_seconds, card_failures), _ = timed(
            "card and alert queries",
            lambda: time_card_queries(settings, compile_analyses(settings, dbt_target)),
        )
        conn = connect(settings)
        with conn.cursor() as cur:
            cur.execute("drop schema if exists benchmark_baseline cascade")
            cur.execute("create schema benchmark_baseline")
            _, baseline_seconds = timed("baseline statement", lambda: cur.execute(BASELINE_SQL))
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
        ram_gb=ram_gb(),
        engine=f"PostgreSQL {postgres_version}",
        load_average=load_average,
        generate_seconds=generate_seconds,
        full_build_seconds=full_seconds,
        append_seconds=append_seconds,
        incremental_build_seconds=incremental_seconds,
        baseline_seconds=baseline_seconds,
        dbt_summary=f"full: {dbt_summary(full.output)} ({full_nodes}); "
        f"incremental: {dbt_summary(incremental.output)} ({incremental_nodes})",
        card_seconds=tuple(card_seconds),
        card_failures=tuple(card_failures),
    )
