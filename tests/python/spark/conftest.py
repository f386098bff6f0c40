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
# The public marts that run on Spark so far (schema.name), and the dbt selection that builds
# them with the staging views on both engines.
PORTED_MARTS = [
    "analytics.daily_metrics",
    "analytics.unit_pre_period_statistics",
    "exp.v_experiment_metrics",
]
PORTED_SELECTION = ["staging.exp", *(relation.split(".")[1] for relation in PORTED_MARTS)]


class SparkDbt:
    """dbt for target `spark` in this process; `sql` reads Spark through the same session."""

    def __init__(self, target_path: Path) -> None:
        self.target_path = target_path

    def invoke(self, args: list[str]):
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
        if not result.success:
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
    return SparkDbt(tmp_path_factory.mktemp("dbt_spark"))


@pytest.fixture(scope="session")
def postgres_demo(new_database, pg_data_dir) -> ConnectionSettings:
    """The small demo data set in a PostgreSQL database of its own; staging and ported marts."""
    from experiment_analytics.demo_data import generate

    settings = new_database("spark_reference")
    create_roles(settings, RoleNames(), passfile=passfile_for(pg_data_dir))
    create_exp_sources(settings)
    generate(settings, events=SPARK_DEMO_EVENTS, seed=SPARK_DEMO_SEED, end_at=SPARK_DEMO_END_AT)
    builder = settings.with_user(BUILDER, read_passwords(passfile_for(pg_data_dir))[BUILDER])
    run_dbt(["run", "--select", *PORTED_SELECTION], builder)
    return settings


@pytest.fixture(scope="session")
def engines(postgres_demo, spark_dbt, tmp_path_factory) -> Engines:
    """The same data set on both engines: Spark loaded from PostgreSQL's export."""
    files_dir = tmp_path_factory.mktemp("demo_files") / "exp"
    counts = export_source_files(postgres_demo, files_dir)
    spark_dbt.invoke(load_demo_args(files_dir, list(counts)))
    spark_dbt.invoke(["run", "--select", *PORTED_SELECTION])
    return Engines(postgres_demo, spark_dbt)
