"""Incremental builds on Spark ('replace_days' as dropped and overwritten day partitions) rebuild
the same days as PostgreSQL's, for the same reasons, and a day whose events all vanished leaves
every day-grain mart (its partitions dropped). The marts after that incremental build equal
PostgreSQL's (test_marts_on_spark.py)."""

from __future__ import annotations

from .conftest import CHANGED_DAY, PAIR_TABLES, VANISHED_DAY


def test_the_same_days_are_rebuilt_for_the_same_reasons(incremental_run):
    rebuilt = dict(incremental_run.postgres_rebuilt_days)
    assert VANISHED_DAY in rebuilt and CHANGED_DAY in rebuilt, rebuilt
    assert len(rebuilt) < 20, f"an incremental build rebuilt {len(rebuilt)} days: {rebuilt}"
    assert incremental_run.spark_rebuilt_days == incremental_run.postgres_rebuilt_days


def test_a_day_without_events_leaves_the_day_grain_marts(engines, incremental_run):
    assert incremental_run.spark_vanished_day_rows_before > 0
    for relation, day_column in [
        ("analytics.generations", "generated_date"),
        ("analytics.unit_daily_statistics", "metric_date"),
        ("analytics.variant_daily_metrics", "metric_date"),
        ("analytics.arm_day_pair_statistics", "metric_date"),
        ("analytics.arm_day_unit_entries", "metric_date"),
        ("analytics.arm_day_pair_latency_buckets", "metric_date"),
    ]:
        partitions = {row[0] for row in engines.spark.sql(f"show partitions {relation}")}
        assert f"{day_column}={CHANGED_DAY}" in partitions, relation
        assert f"{day_column}={VANISHED_DAY}" not in partitions, relation


def test_the_data_tests_run_on_spark_and_pass(incremental_run):
    """The incremental build on Spark is a `dbt build`: every data test of the models it built
    ran there (none skipped or in error; `warn` is a quarantine rule reporting its events)."""
    statuses = incremental_run.spark_data_tests
    assert len(statuses) > 100, statuses
    assert set(statuses.values()) <= {"pass", "warn"}, {
        name: status for name, status in statuses.items() if status not in ("pass", "warn")
    }
    assert "exp_events_columns_match_the_contract" in statuses
    assert statuses["assert_metric_aggregates_reconcile_with_events"] == "pass"


def test_the_card_tables_keep_no_pair_with_the_vanished_day(engines, incremental_run):
    """arm_day_pair_statistics and arm_day_pair_latency_buckets are partitioned by metric_date
    only: the pairs whose earlier day (paired_metric_date) vanished live in later days'
    partitions, which the incremental build rewrote whole (macro pair_day_recomputed)."""
    for relation in PAIR_TABLES:
        assert incremental_run.spark_vanished_day_later_pairs_before[relation] > 0, relation
        [(left,)] = engines.spark.sql(
            f"select count(*) from {relation} where paired_metric_date = date'{VANISHED_DAY}'"
        )
        assert left == 0, relation
