"""The demo data set on Spark: the same rows as in PostgreSQL, table by table."""

from __future__ import annotations

import pytest

from experiment_analytics.spark import spark_source_tables
from experiment_analytics.warehouse.source_contract import SOURCE_TABLES

from .compare import differences, read_both


def test_the_spark_contract_has_every_source_table_and_column(engines):
    spark_tables = spark_source_tables()
    assert sorted(spark_tables) == sorted(SOURCE_TABLES)
    for table, columns in spark_tables.items():
        pg_columns = [
            name
            for (name,) in engines.pg(
                "select column_name from information_schema.columns where table_schema = 'exp'"
                f" and table_name = '{table}' order by ordinal_position"
            )
        ]
        extra = ["occurred_date"] if table == "events" else []
        assert [name for name, _ in columns] == pg_columns + extra, table
        described = engines.spark.sql(f"describe table exp.{table}")
        assert {row[0] for row in described if row[0] and not row[0].startswith("#")} >= set(
            pg_columns + extra
        )


@pytest.mark.parametrize("table", SOURCE_TABLES)
def test_every_row_arrives_unchanged(engines, table):
    columns = [(n, t) for n, t in spark_source_tables()[table] if n != "occurred_date"]
    names, pg_rows, spark_rows = read_both(engines, f"exp.{table}", columns)
    assert pg_rows, f"exp.{table} is empty: nothing would be compared"
    assert differences(names, pg_rows, spark_rows) == []


def test_events_are_partitioned_by_their_utc_day(engines):
    partitions = {row[0] for row in engines.spark.sql("show partitions exp.events")}
    days = engines.pg(
        "select distinct (occurred_at at time zone 'UTC')::date::text from exp.events"
    )
    # the days with events, each a partition (a reload after a day's events were deleted, as
    # conftest's incremental change does, truncates and keeps the emptied day's partition)
    spark_days = engines.spark.sql("select distinct cast(occurred_date as string) from exp.events")
    assert sorted(spark_days) == sorted(days)
    assert partitions >= {f"occurred_date={day}" for (day,) in days}
    assert engines.spark.sql(
        "select count(*) from exp.events where occurred_date <> to_date(occurred_at)"
    ) == [(0,)]
