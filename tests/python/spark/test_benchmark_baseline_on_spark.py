"""The benchmark's baseline statement in Spark SQL (`bench --target spark`) computes what the
PostgreSQL one does: run both on the folder's data (the same rows on both engines, conftest.py)
and compare the tables row for row (compare.py's tolerance; percentile_cont on both)."""

from __future__ import annotations

from experiment_analytics.benchmark.postgres import BASELINE_SQL
from experiment_analytics.benchmark.spark import SPARK_BASELINE_SQL

from .compare import differences, read_both
from .conftest import execute

BASELINE = "benchmark_baseline.variant_daily_metrics"


def test_the_spark_baseline_equals_postgresql_baseline(engines):
    execute(
        engines.postgres,
        ["drop schema if exists benchmark_baseline cascade", "create schema benchmark_baseline"],
    )
    engines.spark.sql("drop schema if exists benchmark_baseline cascade")
    engines.spark.sql("create schema benchmark_baseline")
    try:
        execute(engines.postgres, [BASELINE_SQL])
        engines.spark.sql(SPARK_BASELINE_SQL)
        names, pg_rows, spark_rows = read_both(engines, BASELINE)
        assert len(pg_rows) > 20, "the folder's data has a few experiments over many days"
        assert differences(names, pg_rows, spark_rows) == []
    finally:
        execute(engines.postgres, ["drop schema if exists benchmark_baseline cascade"])
        engines.spark.sql("drop schema if exists benchmark_baseline cascade")
