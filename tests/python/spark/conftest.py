"""Fixtures of the Spark tests: one local Spark (dbt-spark's session method) per test session.

The same small demo data set is generated in PostgreSQL (the reference), exported as files and
loaded into Spark by the project's own loader (`experiment-analytics spark load-demo`'s code);
then dbt runs the models on both engines and the tests compare them.

dbt runs in this process (dbtRunner): dbt-spark's session method keeps one SparkSession per
process, so the JVM and the catalogue start once for the whole folder (a dbt subprocess per
command would start them every time). Spark keeps its tables and catalogue in a temporary
directory of the session (EXPERIMENT_ANALYTICS_SPARK_DIR), never in the developer's `.spark`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from experiment_analytics.dbt import PROJECT_DIR, run_dbt
from experiment_analytics.spark import SPARK_DIR_ENV, export_source_files
from experiment_analytics.spark.cli import load_demo_args
from experiment_analytics.warehouse import ConnectionSettings, connect, create_exp_sources
from experiment_analytics.warehouse.credentials import passfile_for, read_passwords
from experiment_analytics.warehouse.roles import BUILDER, RoleNames, create_roles

# Small: Spark on 2 shared cores runs each statement in seconds, not milliseconds.
SPARK_DEMO_EVENTS = 6_000
SPARK_DEMO_SEED = 42
SPARK_DEMO_END_AT = datetime(2026, 1, 31, tzinfo=UTC)
# The marts computed over each experiment's whole history (tables and views, no incremental
# state), compared with PostgreSQL with the others below.
WHOLE_EXPERIMENT_MARTS = [
    "analytics.experiments",
    "analytics.variants",
    "analytics.experiment_performance",
    "analytics.variant_latency_distribution",
    "analytics.policy_version_evaluations",
    "analytics.experiment_health",
    "exp.v_active_experiments",
    "exp.v_policy_versions",
    "analytics.variant_significance",
    "analytics.experiment_power",
    # the low-acceptance alert's built state (a table rebuilt whole; its alert reads it)
    "analytics.alert_acceptance_state",
]
# The public marts compared with PostgreSQL (schema.name), and the dbt selection that builds
# them with the staging views and the event-log models on both engines.
PORTED_MARTS = [
    "analytics.daily_metrics",
    "analytics.unit_pre_period_statistics",
    "exp.v_experiment_metrics",
    "analytics.event_quarantine",
    "analytics.event_quarantine_summary",
    "analytics.generations",
    "analytics.experiment_daily_events",
    "analytics.variant_daily_metrics",
    "analytics.variant_daily_edit_counts",
    "analytics.daily_quality_metrics",
    "analytics.constraint_violations",
    "analytics.daily_request_metrics",
    "analytics.daily_model_costs",
    "analytics.unit_daily_statistics",
    "analytics.variant_daily_latency_histograms",
    # the hourly latency percentiles (percentile_cont on both engines; the card Latency Over
    # Time reads it)
    "analytics.hourly_latency_percentiles",
    # the card tables (incremental: replace_days) and, built after them, their pre-period ledger
    # int_arm_day_pre_period_ledger (part of +int_event_log_ledger)
    "analytics.arm_day_pair_statistics",
    "analytics.arm_day_unit_entries",
    "analytics.arm_day_pair_latency_buckets",
    *WHOLE_EXPERIMENT_MARTS,
]
# The card tables with a row per pair of days, partitioned on Spark by the later day only
PAIR_TABLES = ("analytics.arm_day_pair_statistics", "analytics.arm_day_pair_latency_buckets")
PORTED_SELECTION = [
    "staging.exp",
    "+int_event_log_ledger",
    # the view of the build history the hooks record (the stale-analytics alert reads it)
    "stg_dbt__build_history",
    *(relation.split(".")[1] for relation in PORTED_MARTS),
]
# The whole-experiment marts are rebuilt whole by every run (tables and views, no incremental
# state): the full build leaves them out, the incremental build (which the tests compare) makes
# them, so each engine builds them once.
FULL_BUILD_SELECTION = [
    *PORTED_SELECTION,
    "--exclude",
    *(relation.split(".")[1] for relation in WHOLE_EXPERIMENT_MARTS),
]
EVENT_COLUMNS = (
    "id, event_type, experiment_id, variant_id, unit_id, request_id, occurred_at, received_at,"
    " policy_version_id, latency_ms, prompt_tokens, completion_tokens,"
    " constraint_respect_score, alignment_score, diversity_score, edit_count"
)
# Events breaking quarantine rules (and one exact re-delivery, which counts once), added to the
# demo data in PostgreSQL before the export, so both engines see them: each is a copy of the
# n-th generation of the demo data (with an outcome) with some columns replaced. id and
# request_id are new unless replaced.
BROKEN_EVENTS = {
    "event_type_unknown": {"event_type": "'clicked'"},
    "experiment_unknown": {"experiment_id": "999"},
    "variant_unknown": {"variant_id": "999"},
    "received_in_future": {"received_at": "now() + interval '1 year'"},
    "occurred_in_future": {"occurred_at": "now() + interval '1 year'"},
    "received_before_occurred": {"received_at": "occurred_at - interval '1 hour'"},
    "policy_version_unknown": {"policy_version_id": "999"},
    "generation_without_latency": {"latency_ms": "null"},
    "latency_negative": {"latency_ms": "-1"},
    "token_count_negative": {"prompt_tokens": "-5"},
    "score_out_of_range": {"alignment_score": "1.5"},
    "event_id_reused": {
        "id": "id",
        "latency_ms": "latency_ms + 1",
        "received_at": "received_at + interval '1 day'",
    },
    "request_id_reused_by_another_generation": {
        "request_id": "request_id",
        "received_at": "received_at + interval '1 day'",
    },
    "outcome_without_generation": {"event_type": "'accepted'"},
    "a re-delivered copy (not quarantined)": {
        "id": "id",
        "request_id": "request_id",
        "received_at": "received_at + interval '2 hours'",
    },
}
# The change between the full build and the incremental one (on PostgreSQL, then reloaded into
# Spark): every event of one day is deleted (its rows must leave every day-grain mart: on Spark
# its partitions are dropped), with the upstream pipeline's metric aggregates of that day (kept,
# they would count generations that no longer exist: assert_metric_aggregates_reconcile_with_events
# reports each of them), and one more broken event arrives on another day.
VANISHED_DAY = "2026-01-05"
CHANGED_DAY = "2026-01-20"


# The incremental build on Spark is a `dbt build` of PORTED_SELECTION: its models and their data
# tests, each named here when left out (README "Running on Apache Spark"): the unit tests, run
# after this build by test_unit_tests_on_spark.py in one `dbt test` of their own (in the build, a
# failing unit test would skip its model and everything downstream of it, and every test of the
# folder would fail with it); a data test on a model this selection does not build
# (`--indirect-selection cautious`).
# The seed is loaded by the full build.
SPARK_BUILD_EXCLUDES = [
    "--exclude-resource-type",
    "seed",
    "--exclude-resource-type",
    "unit_test",
    "--indirect-selection",
    "cautious",
]


def broken_events_sql() -> list[str]:
    """Inserts of BROKEN_EVENTS into exp.events (PostgreSQL)."""
    statements = []
    names = [name.strip() for name in EVENT_COLUMNS.split(",")]
    for number, replaced in enumerate(BROKEN_EVENTS.values()):
        values = {"id": f"{900_000 + number}", "request_id": "gen_random_uuid()"}
        values |= replaced
        select = ", ".join(values.get(name, name) for name in names)
        statements.append(
            f"insert into exp.events ({EVENT_COLUMNS}) select {select} from exp.events"
            " where event_type = 'generation' and request_id in"
            " (select request_id from exp.events where event_type <> 'generation')"
            f" order by id offset {10 * number} limit 1"
        )
    return statements


def change_for_incremental_sql() -> list[str]:
    return [
        f"delete from exp.events where (occurred_at at time zone 'UTC')::date = '{VANISHED_DAY}'",
        "delete from exp.metric_aggregates"
        f" where (bucket_start at time zone 'UTC')::date = '{VANISHED_DAY}'",
        f"insert into exp.events ({EVENT_COLUMNS}) select 999999, event_type, experiment_id,"
        " variant_id, unit_id, gen_random_uuid(), occurred_at, received_at, policy_version_id,"
        " latency_ms, prompt_tokens, completion_tokens, 2.0, alignment_score, diversity_score,"
        " edit_count from exp.events where event_type = 'generation'"
        f" and (occurred_at at time zone 'UTC')::date = '{CHANGED_DAY}' order by id limit 1",
    ]


class SparkDbt:
    """dbt for target `spark` in this process; `sql` reads Spark through the same session."""

    def __init__(self, target_path: Path) -> None:
        self.target_path = target_path

    def invoke(self, args: list[str], *, check: bool = True):
        """dbt `args` on Spark; raises when dbt fails unless `check` is False (the caller then
        reads each node's status in the result)."""
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(
            [
                *args,
                "--target",
                "spark",
                "--project-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(self.target_path),
                "--log-path",
                str(self.target_path / "logs"),
            ]
        )
        if check and not result.success:
            raise AssertionError(f"dbt {args[0]} on Spark failed: {result.exception or result}")
        return result

    def compile_inline(self, sql: str) -> str:
        """`sql` (with Jinja: the project's macros) compiled for Spark."""
        result = self.invoke(["compile", "--quiet", "--inline", sql])
        return result.result.results[0].node.compiled_code

    def sql(self, query: str) -> list[tuple]:
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        return [tuple(row) for row in session.sql(query).collect()]


@dataclass(frozen=True)
class Engines:
    postgres: ConnectionSettings
    spark: SparkDbt

    def pg(self, query: str) -> list[tuple]:
        conn = connect(self.postgres)
        try:
            with conn.cursor() as cur:
                cur.execute("set timezone = 'UTC'")
                cur.execute(query)
                return cur.fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="session")
def spark_dbt(tmp_path_factory: pytest.TempPathFactory) -> SparkDbt:
    os.environ[SPARK_DIR_ENV] = str(tmp_path_factory.mktemp("spark"))
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # a few thousand rows: one task per shuffle, not one per core (each costs its scheduling)
    os.environ.setdefault("SPARK_SHUFFLE_PARTITIONS", "1")
    return SparkDbt(tmp_path_factory.mktemp("dbt_spark"))


def execute(settings: ConnectionSettings, statements: list[str]) -> None:
    conn = connect(settings)
    try:
        with conn, conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


@dataclass(frozen=True)
class IncrementalRun:
    """What the incremental build after the change rebuilt, per engine."""

    postgres_rebuilt_days: list[tuple]
    spark_rebuilt_days: list[tuple]
    spark_vanished_day_rows_before: int
    # per PAIR_TABLES relation: its pairs of the vanished day in later days' partitions, before
    spark_vanished_day_later_pairs_before: dict[str, int]
    # every data test of the models built, by name: its status in the Spark build
    spark_data_tests: dict[str, str]


def _postgres_demo(new_database, pg_data_dir) -> tuple[ConnectionSettings, ConnectionSettings]:
    """The small demo data set (with BROKEN_EVENTS) in a PostgreSQL database of its own; returns
    the owner's settings and the builder's (dbt runs as the builder, as `make demo` does)."""
    from experiment_analytics.demo_data import generate

    settings = new_database("spark_reference")
    create_roles(settings, RoleNames(), passfile=passfile_for(pg_data_dir))
    create_exp_sources(settings)
    generate(settings, events=SPARK_DEMO_EVENTS, seed=SPARK_DEMO_SEED, end_at=SPARK_DEMO_END_AT)
    execute(settings, broken_events_sql())
    builder = settings.with_user(BUILDER, read_passwords(passfile_for(pg_data_dir))[BUILDER])
    return settings, builder


class _Background:
    """`work` in a thread (PostgreSQL's side: psycopg2 and dbt subprocesses), while this thread
    drives Spark (dbt-spark's session lives in this process): the two engines build at once."""

    def __init__(self, work) -> None:
        self._result = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._result = work()
            except BaseException as exc:  # re-raised in the test's thread by result()
                self._error = exc

        self._thread = threading.Thread(target=run, name="postgres-side", daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def _spark_load(spark_dbt: SparkDbt, files_dir: Path, tables: list[str]) -> None:
    spark_dbt.invoke(load_demo_args(files_dir, tables))


REBUILT_DAYS = (
    "select cast(occurred_date as {}), rebuild_reason from analytics.int_event_log_days"
    " where is_rebuilt order by 1"
)


@pytest.fixture(scope="session")
def engines_and_incremental(new_database, pg_data_dir, spark_dbt, tmp_path_factory):
    """The same data set on both engines (Spark loaded from PostgreSQL's export), built in full;
    then the same change on both and an incremental build: the marts compared are its result.

    One build of each kind per engine for the whole folder, the engines side by side: the
    PostgreSQL side (data generation, its dbt subprocesses) runs in a thread while this thread
    starts Spark and builds there. The incremental build on Spark is a `dbt build`: the data
    tests of every model built run on Spark too (README "Running on Apache Spark")."""
    files_dir = tmp_path_factory.mktemp("demo_files") / "exp"

    def postgres_data():
        postgres, builder = _postgres_demo(new_database, pg_data_dir)
        return postgres, builder, export_source_files(postgres, files_dir)

    exported = _Background(postgres_data)
    # Spark's JVM and catalogue start while PostgreSQL generates the data.
    spark_dbt.invoke(["seed"])
    postgres, builder, counts = exported.result()
    postgres_full = _Background(
        lambda: (
            run_dbt(["seed"], builder),
            run_dbt(["run", "--select", *FULL_BUILD_SELECTION], builder),
        )
    )
    _spark_load(spark_dbt, files_dir, list(counts))
    spark_dbt.invoke(["run", "--select", *FULL_BUILD_SELECTION])
    [(vanished_rows,)] = spark_dbt.sql(
        f"select count(*) from analytics.generations where generated_date = date'{VANISHED_DAY}'"
    )
    vanished_later_pairs = {
        relation: spark_dbt.sql(
            f"select count(*) from {relation} where paired_metric_date = date'{VANISHED_DAY}'"
            f" and metric_date > date'{VANISHED_DAY}'"
        )[0][0]
        for relation in PAIR_TABLES
    }
    postgres_full.result()

    execute(postgres, change_for_incremental_sql())
    counts = export_source_files(postgres, files_dir)
    postgres_incremental = _Background(
        lambda: run_dbt(["run", "--select", *PORTED_SELECTION], builder)
    )
    _spark_load(spark_dbt, files_dir, list(counts))
    spark_build = spark_dbt.invoke(["build", *SPARK_BUILD_EXCLUDES, "--select", *PORTED_SELECTION])
    postgres_incremental.result()
    engines = Engines(postgres, spark_dbt)
    incremental = IncrementalRun(
        postgres_rebuilt_days=engines.pg(REBUILT_DAYS.format("text")),
        spark_rebuilt_days=spark_dbt.sql(REBUILT_DAYS.format("string")),
        spark_vanished_day_rows_before=vanished_rows,
        spark_vanished_day_later_pairs_before=vanished_later_pairs,
        spark_data_tests={
            result.node.name: str(getattr(result.status, "value", result.status))
            for result in spark_build.result.results
            if result.node.resource_type == "test"
        },
    )
    return engines, incremental


@pytest.fixture(scope="session")
def engines(engines_and_incremental) -> Engines:
    return engines_and_incremental[0]


@pytest.fixture(scope="session")
def incremental_run(engines_and_incremental) -> IncrementalRun:
    return engines_and_incremental[1]
