"""The build history (macros/alerting/build_history.sql) is kept on Spark as on PostgreSQL: the
on-run-end hook adds one row per dbt invocation to <schema>.dbt_build_history, which the
stale-analytics alert reads through stg_dbt__build_history. The folder's builds ran on both
engines (conftest): the same selection, so the same counts, whatever the engine."""

from __future__ import annotations

COUNTS = "models_in_project, models_built, nodes_failed, nodes_skipped, is_complete_success"
HISTORY = (
    f"select invocation_id, command, {COUNTS}, started_at <= finished_at"
    " from analytics.stg_dbt__build_history order by started_at"
)


def test_the_spark_builds_are_recorded_with_postgresql_counts(engines):
    spark_rows = engines.spark.sql(HISTORY)
    postgres_rows = engines.pg(HISTORY)
    spark_commands = [row[1] for row in spark_rows]
    # the full build's seed and run, then the incremental build (conftest)
    assert spark_commands[:3] == ["seed", "run", "build"], spark_commands
    assert [row[1] for row in postgres_rows][:3] == ["seed", "run", "run"], postgres_rows
    assert len({row[0] for row in spark_rows}) == len(spark_rows), "one row per invocation"
    for spark_row, postgres_row in zip(spark_rows[:3], postgres_rows[:3], strict=True):
        # the same models selected and built, none failed or skipped, not the whole project
        assert spark_row[2:] == postgres_row[2:], (spark_row, postgres_row)
    seed, full, incremental = spark_rows[:3]
    assert seed[3] == 0 and full[3] > 20 and incremental[3] > full[3], spark_rows
    assert incremental[2] > incremental[3] and incremental[6] is False
    assert all(row[7] is True for row in spark_rows), "started_at after finished_at"
