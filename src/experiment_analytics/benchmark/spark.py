"""The benchmark on a local Spark beside PostgreSQL (`experiment-analytics bench --target spark`,
`make bench TARGET=spark EVENTS=N`).

One run measures both engines on the same data set, one after the other (never at the same
time, so neither slows the other):

1. PostgreSQL, exactly as `bench` alone (postgres.py), with the data set exported as the Spark
   loader's CSV files (spark/demo_files.py) after the generation and after the append — outside
   PostgreSQL's timed steps;
2. Spark, in its own catalogue and warehouse under the run's temporary directory (never the
   project's .spark): load the generated files (the loader's `insert`s, run by Spark's
   executors), `dbt build --full-refresh --target spark`, load the appended files,
   incremental `dbt build --target spark`, every card and alert query compiled for Spark with the
   dashboards' default filters (run in this process's Spark session, as the Metabase stand-in
   runs them), and the baseline statement written in Spark SQL.

Spark's "generate" and "append" figures are PostgreSQL's generation (or append) plus the export
and the load into Spark. Both Spark builds run what PostgreSQL's do: every seed, model, data
test and unit test (the unit tests pass on Spark since 4abee2d). A local Spark on the machine's
cores is not expected to be faster than PostgreSQL (README "Benchmark"): the figures
show what the same project costs there and how that grows with the data.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from experiment_analytics.benchmark.baseline import baseline_sql
from experiment_analytics.benchmark.postgres import run_benchmark
from experiment_analytics.benchmark.result import BenchmarkResult
from experiment_analytics.benchmark.steps import (
    build,
    card_queries,
    dbt_summary,
    node_times,
    time_queries,
    timed,
)
from experiment_analytics.dbt import run_dbt
from experiment_analytics.spark.cli import load_demo_args
from experiment_analytics.spark.demo_files import export_source_files
from experiment_analytics.spark.location import SPARK_DIR_ENV
from experiment_analytics.warehouse import ConnectionSettings

_logger = logging.getLogger(__name__)

SPARK_TARGET = "spark"

# BASELINE_SQL (postgres.py) in Spark SQL (baseline.py)
SPARK_BASELINE_SQL = baseline_sql("spark")


class _Exports:
    """The data set's CSV files at each stage, written by PostgreSQL's benchmark (`snapshot`)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.seconds: dict[str, float] = {}
        self.tables: list[str] = []

    def folder(self, stage: str) -> Path:
        return self.workdir / f"files_{stage}"

    def __call__(self, settings: ConnectionSettings, stage: str) -> None:
        counts, seconds = timed(
            f"export the {stage} data set for Spark",
            lambda: export_source_files(settings, self.folder(stage)),
        )
        self.seconds[stage] = seconds
        self.tables = list(counts)


def run_spark_benchmark(
    events: int, seed: int = 42, append_events: int | None = None
) -> tuple[BenchmarkResult, BenchmarkResult]:
    """PostgreSQL's figures and Spark's, on the same data set (module doc)."""
    workdir = Path(tempfile.mkdtemp(prefix="ea-bench-spark-"))
    exports = _Exports(workdir)
    previous_spark_dir = os.environ.get(SPARK_DIR_ENV)
    try:
        postgres = run_benchmark(
            events, seed, workdir, snapshot=exports, append_events=append_events
        )
        # the dbt subprocesses and this process's Spark session use the run's own catalogue
        os.environ[SPARK_DIR_ENV] = str(workdir / "spark")
        spark = _measure_spark(workdir, exports, postgres)
    finally:
        if previous_spark_dir is None:
            os.environ.pop(SPARK_DIR_ENV, None)
        else:
            os.environ[SPARK_DIR_ENV] = previous_spark_dir
        shutil.rmtree(workdir, ignore_errors=True)
    return postgres, spark


def _measure_spark(workdir: Path, exports: _Exports, postgres: BenchmarkResult) -> BenchmarkResult:
    # The embedded PostgreSQL is stopped by now; profiles.yml still reads its variables.
    settings = ConnectionSettings.from_env()
    env = {"DBT_LOG_PATH": str(workdir / "logs_spark")}
    target = workdir / "target_spark"
    load_average = os.getloadavg()[0]

    def load(stage: str) -> None:
        args = load_demo_args(exports.folder(stage), exports.tables)
        run_dbt([*args, "--target", SPARK_TARGET], settings, extra_env=env)

    _, load_seconds = timed("load the generated data set into Spark", lambda: load("initial"))
    full, full_seconds = timed(
        "dbt build --full-refresh --target spark",
        lambda: build(
            ["build", "--full-refresh", "--target", SPARK_TARGET],
            settings,
            env,
            target,
        ),
    )
    full_nodes = node_times(target)
    _, reload_seconds = timed("load the appended data set into Spark", lambda: load("appended"))
    incremental, incremental_seconds = timed(
        "dbt build --target spark (incremental)",
        lambda: build(["build", "--target", SPARK_TARGET], settings, env, target),
    )
    incremental_nodes = node_times(target)
    (card_seconds, card_failures, baseline_seconds, engine), _ = timed(
        "card and alert queries and the baseline on Spark",
        lambda: _queries_and_baseline(settings, workdir / "analyses_spark"),
    )
    return BenchmarkResult(
        started_at=postgres.started_at,
        events=postgres.events,
        appended_events=postgres.appended_events,
        cores=postgres.cores,
        ram_gb=postgres.ram_gb,
        engine=engine,
        load_average=load_average,
        generate_seconds=postgres.generate_seconds + exports.seconds["initial"] + load_seconds,
        full_build_seconds=full_seconds,
        append_seconds=postgres.append_seconds + exports.seconds["appended"] + reload_seconds,
        incremental_build_seconds=incremental_seconds,
        baseline_seconds=baseline_seconds,
        dbt_summary=f"full: {dbt_summary(full.output)} ({full_nodes}); "
        f"incremental: {dbt_summary(incremental.output)} ({incremental_nodes})",
        card_seconds=tuple(card_seconds),
        card_failures=tuple(card_failures),
    )


def _queries_and_baseline(settings: ConnectionSettings, target: Path):
    """In this process's Spark session (started after every dbt subprocess ended: the catalogue
    admits one process): the card and alert queries, then the baseline statement."""
    import pyspark

    from experiment_analytics.metabase.project import compile_analyses
    from experiment_analytics.spark.session import local_spark_session, session_parameters

    queries = card_queries(compile_analyses(settings, target, target=SPARK_TARGET))
    session = local_spark_session(SPARK_TARGET)
    try:

        def run(compiled) -> None:
            session.sql(compiled.positional_sql(), args=list(compiled.params) or None).collect()

        card_seconds, card_failures = time_queries(queries, run)
        session.sql("drop schema if exists benchmark_baseline cascade")
        session.sql("create schema benchmark_baseline")
        _, baseline_seconds = timed(
            "baseline statement on Spark", lambda: session.sql(SPARK_BASELINE_SQL).collect()
        )
    finally:
        session.stop()
    master = session_parameters(SPARK_TARGET).get("spark.master", "local")
    return card_seconds, card_failures, baseline_seconds, f"Spark {pyspark.__version__} {master}"
