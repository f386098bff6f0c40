"""The card and alert SQL (analyses/) on Spark, and the publisher on a Spark build: over the
session's Spark build (conftest.py), with no build of its own.

The analyses are compiled once per engine (Spark in this process, PostgreSQL in a dbt subprocess
at the same time). Every card and alert query runs on both engines with the clock set to the
test data's end (so the cards over the last days compare rows, not two empty sets) and returns
the same rows (compare.py's tolerance). Then the publisher (`scripts/publish_metabase.py`'s
code, `--target spark`) publishes the Spark build to the stand-in through a database of engine
sparksql and a second run writes nothing; a database of another engine is refused with the fix.
A query reading a model the Spark build does not make yet is left out only by name
(WAITING_ON_SPARK), never silently.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import requests

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase import cli
from experiment_analytics.metabase.project import compile_analyses
from experiment_analytics.metabase.spec import parse_dashboard, parse_publisher
from experiment_analytics.metabase.validate import executable_sql

from .compare import differences
from .conftest import SPARK_DEMO_END_AT, SparkDbt

# Left out of the comparison and of the publish, by name: each reads a model the Spark build of
# this folder does not make yet (README "Running on Apache Spark"). A listed query whose models
# are all built is compared like any other; a query reading a missing model that is not listed
# fails the test.
WAITING_ON_SPARK: dict[str, str] = {}
# Left out by name although the folder builds every model they read, with the cause (README
# "Running on Apache Spark"); not compared or published until it is ported. None left: the
# Variant Performance cards render window_statistics_ctes and significance_ctes (Power and Time
# to Decision also power_ctes) as one query, and Spark inlines every CTE into every reference, so
# the plan was too large for this folder's 2 GB session (analysis, then execution: 588 broadcast
# hash tables of a 64 MB page each). The shared macros now read each multiplying CTE once (table
# references after inlining, Statistical Significance 880 -> 134 -> 44, Power and Time to
# Decision 645 -> 117 -> 46; broadcast exchanges 588 -> 57): both cards are compared, and
# their dashboard published, here (Statistical Significance alone ~100 s in 2 GB at load 4-6).
FAILS_SPARK_ANALYSIS: set[str] = set()
# The queries that return no rows on the test data at its end, with the reason (an alert returns
# rows only at the check where its condition starts to hold).
_FIRES_ONCE = (
    "an alert returns rows only at the check where its condition starts to hold; at the test "
    "data's end none starts (its firing is replayed check by check on PostgreSQL: "
    "tests/python/dashboards/test_alerts.py)"
)
NO_ROWS_ON_THE_TEST_DATA = {
    "alert_stale_analytics": "the clock is set to the test data's end, before every build the "
    "folder recorded (tests/python/spark/test_build_history_on_spark.py checks the records)",
    "alert_constraint_violation": _FIRES_ONCE,
    "alert_high_p99_latency": _FIRES_ONCE,
    "alert_low_acceptance": _FIRES_ONCE,
    "alert_no_events": _FIRES_ONCE,
}
# Decimals Spark computes at a smaller scale than PostgreSQL, by query: the decimal places
# Spark keeps, to which PostgreSQL's value is rounded (half up, as Spark) before comparing.
# The cost cards divide a sum of decimal(12,4) prices times tokens by 1000000: Spark's decimal
# division caps the result at precision 38 and then keeps 6 decimal places
# (spark.sql.decimalOperations.allowPrecisionLoss), PostgreSQL's numeric keeps every digit
# (0.2598795 USD there, 0.259880 on Spark).
SPARK_DECIMAL_PLACES = {"latency_and_cost__cost_by_model": 6}
# The clock of the card SQL, set to the test data's end on both engines: the cards over the last
# days (relative to now) then read the test data, whose days are fixed (conftest.py).
AS_OF = SPARK_DEMO_END_AT.strftime("%Y-%m-%d %H:%M:%S")
_CLOCKS = {
    "postgres": {"now()": f"timestamptz '{AS_OF}+00'"},
    "spark": {"now()": f"timestamp'{AS_OF}'", "current_date()": f"date'{AS_OF[:10]}'"},
}
_ANY_CLOCK = re.compile(r"\b(now|current_date|current_timestamp|localtimestamp)\b", re.I)
DATABASE = "Experiments (Spark)"


def _as_of(sql: str, engine: str) -> str:
    for clock, instant in _CLOCKS[engine].items():
        sql = sql.replace(clock, instant)
    left = _ANY_CLOCK.findall(sql)
    assert not left, f"a clock this test does not set is in the {engine} SQL: {left}"
    return sql


@pytest.fixture(scope="module")
def compiled(engines, tmp_path_factory) -> dict[str, Path]:
    """The analyses compiled for each engine: {'spark': manifest path, 'postgres': ...}."""
    postgres_target = tmp_path_factory.mktemp("analyses_postgres")
    with ThreadPoolExecutor(1) as pool:
        postgres = pool.submit(compile_analyses, engines.postgres, postgres_target)
        spark_target = tmp_path_factory.mktemp("analyses_spark")
        SparkDbt(spark_target).invoke(["compile", "--quiet", "--select", "resource_type:analysis"])
        return {"spark": spark_target / "manifest.json", "postgres": postgres.result()}


@pytest.fixture(scope="module")
def manifests(compiled) -> dict[str, dict]:
    return {engine: json.loads(path.read_text()) for engine, path in compiled.items()}


def _analyses(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "analysis"}


def _missing_on_spark(engines, manifest: dict, analysis: dict) -> list[str]:
    """The relations an analysis reads that the session's Spark build did not make."""
    missing = []
    for unique_id in analysis["depends_on"]["nodes"]:
        node = manifest["nodes"][unique_id]
        schema, table = node["schema"], node.get("alias") or node["name"]
        if not engines.spark.sql(f"show tables in {schema} like '{table}'"):
            missing.append(f"{schema}.{table}")
    return missing


ALL_ANALYSES = sorted(path.stem for path in (PROJECT_DIR / "analyses").rglob("*.sql"))


def _rendered(engine: str, sql: str, columns: list[tuple[str, str]]) -> str:
    """The query with its timestamps as UTC text and dates as text (compare.py's convention:
    PySpark turns timestamps into the Python process's local time)."""
    select = []
    for name, data_type in columns:
        quoted = f"`{name}`" if engine == "spark" else f'"{name}"'
        if data_type.startswith("timestamp"):
            select.append(
                f"date_format({quoted}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')"
                if engine == "spark"
                else f"to_char({quoted} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
            )
        elif data_type == "date":
            select.append(f"cast({quoted} as string)" if engine == "spark" else f"{quoted}::text")
        else:
            select.append(quoted)
    return f"select {', '.join(select)} from (\n{sql}\n) as card"


def _rounded(row: tuple, places: int) -> tuple:
    step = Decimal(1).scaleb(-places)
    return tuple(
        value.quantize(step, ROUND_HALF_UP) if isinstance(value, Decimal) else value
        for value in row
    )


@pytest.mark.parametrize("name", ALL_ANALYSES)
def test_card_and_alert_sql_returns_on_spark_what_it_returns_on_postgresql(
    engines, manifests, name
):
    from pyspark.sql import SparkSession

    spark_node = _analyses(manifests["spark"])[name]
    missing = _missing_on_spark(engines, manifests["spark"], spark_node)
    if name in FAILS_SPARK_ANALYSIS:
        missing = missing or ["(named in FAILS_SPARK_ANALYSIS)"]
    if missing:
        assert name in WAITING_ON_SPARK, f"{name} reads {missing}, not built on Spark"
        return
    spark_sql = _as_of(executable_sql(spark_node["compiled_code"]), "spark")
    postgres_node = _analyses(manifests["postgres"])[name]
    postgres_sql = _as_of(executable_sql(postgres_node["compiled_code"]), "postgres")
    session = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    fields = session.sql(spark_sql).schema.fields
    columns = [(field.name, field.dataType.simpleString()) for field in fields]
    names = [name for name, _ in columns]
    pg_rows = engines.pg(_rendered("postgres", postgres_sql, columns))
    if name in SPARK_DECIMAL_PLACES:
        pg_rows = [_rounded(row, SPARK_DECIMAL_PLACES[name]) for row in pg_rows]
    spark_rows = engines.spark.sql(_rendered("spark", spark_sql, columns))
    assert differences(names, pg_rows, spark_rows) == [], name
    # with the clock at the data's end, the comparison is of rows, not of two empty results
    assert pg_rows or name in NO_ROWS_ON_THE_TEST_DATA, f"{name} returns no rows"


# ---- publishing to a Metabase database of engine sparksql ----------------------------------
def _waiting_to_publish(engines, manifests) -> list[str]:
    """The dashboards, Metabase models and alerts with a query of WAITING_ON_SPARK that reads a
    model the Spark build lacks: left out of the publish by name (`--exclude`)."""
    analyses = _analyses(manifests["spark"])
    waiting = {
        name
        for name in WAITING_ON_SPARK
        if name in FAILS_SPARK_ANALYSIS
        or _missing_on_spark(engines, manifests["spark"], analyses[name])
    }
    dashboards = [
        parse_dashboard(path)
        for path in sorted((PROJECT_DIR / "metabase" / "dashboards").glob("*.yml"))
    ]
    config = parse_publisher(PROJECT_DIR / "metabase" / "publisher.yml")
    excluded = [
        spec.dashboard for spec in dashboards if any(card.query in waiting for card in spec.cards)
    ]
    excluded += [
        item.key for item in (*config.metabase_models, *config.alerts) if item.query in waiting
    ]
    return excluded


@pytest.fixture(scope="module")
def spark_double():
    from experiment_analytics.metabase_double import MetabaseDouble

    double = MetabaseDouble(warehouse=None, sync_delay_seconds=0.05).start()
    yield double
    double.stop()


def _publish(double, compiled, target_path: Path, monkeypatch, *extra: str) -> tuple[int, dict]:
    """`scripts/publish_metabase.py --target spark ...` (its main), the summary it wrote."""
    monkeypatch.setenv("METABASE_API_KEY", double.api_key)
    code = cli.main(
        [
            "--metabase-url",
            double.url,
            "--target",
            "spark",
            "--no-compile",
            "--manifest-path",
            str(compiled["spark"]),
            "--target-path",
            str(target_path),
            *extra,
        ]
    )
    summary_path = target_path / "metabase_publish_summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return code, summary


def test_publishes_the_spark_build_to_a_sparksql_database_then_writes_nothing(
    engines, manifests, compiled, spark_double, tmp_path, monkeypatch, capsys
):
    waiting = _waiting_to_publish(engines, manifests)
    excludes = [arg for key in waiting for arg in ("--exclude", key)]
    options = ["--metabase-database", DATABASE, "--add-database", *excludes]
    code, first = _publish(spark_double, compiled, tmp_path / "first", monkeypatch, *options)
    assert code == cli.EXIT_OK, capsys.readouterr().err
    assert first["write_requests"] > 0
    api = f"{spark_double.url}/api"
    headers = {"X-API-KEY": spark_double.api_key}
    [database] = [
        db
        for db in requests.get(f"{api}/database", headers=headers, timeout=30).json()["data"]
        if db["name"] == DATABASE
    ]
    assert database["engine"] == "sparksql"
    cards = requests.get(f"{api}/card", headers=headers, timeout=30).json()
    assert cards and {card["database_id"] for card in cards} == {database["id"]}
    dashboards = requests.get(f"{api}/dashboard", headers=headers, timeout=30).json()
    assert {dashboard["name"] for dashboard in dashboards} == {
        parse_dashboard(path).name
        for path in (PROJECT_DIR / "metabase" / "dashboards").glob("*.yml")
        if path.stem not in waiting
    }
    for kind in ("alert", "subscription"):
        assert first["counts"][kind]["created"] > 0, first["counts"]
    # the model metadata (dbt-metabase) reached the Spark tables
    metadata = requests.get(
        f"{api}/database/{database['id']}/metadata", headers=headers, timeout=30
    ).json()
    [generations] = [t for t in metadata["tables"] if t["name"] == "generations"]
    assert generations["schema"] == "analytics" and generations["description"]
    # a card's query, run by the stand-in on the local Spark
    card = next(c for c in cards if c["name"] == "Daily Metrics")
    answer = requests.post(f"{api}/card/{card['id']}/query", headers=headers, timeout=300).json()
    assert answer["status"] == "completed" and answer["row_count"] > 0, answer.get("error")

    code, second = _publish(spark_double, compiled, tmp_path / "second", monkeypatch, *options)
    assert code == cli.EXIT_OK, capsys.readouterr().err
    assert second["write_requests"] == 0, [
        change for change in second["changes"] if change["action"] != "unchanged"
    ]


def test_a_postgres_database_is_refused_for_the_spark_build_with_the_fix(
    engines, compiled, spark_double, tmp_path, monkeypatch, capsys
):
    from experiment_analytics.metabase_double import api_core

    api_core.register_warehouse(spark_double.state, "Experiments on PostgreSQL", engines.postgres)
    spark_double.clear_requests()
    # every dashboard, model and alert left out: the engine check needs none (and their checks
    # on Spark are the test above's)
    config = parse_publisher(PROJECT_DIR / "metabase" / "publisher.yml")
    everything = [
        *(path.stem for path in (PROJECT_DIR / "metabase" / "dashboards").glob("*.yml")),
        *(item.key for item in (*config.metabase_models, *config.alerts)),
    ]
    excludes = [arg for key in everything for arg in ("--exclude", key)]
    code, _ = _publish(
        spark_double,
        compiled,
        tmp_path,
        monkeypatch,
        "--metabase-database",
        "Experiments on PostgreSQL",
        *excludes,
    )
    message = capsys.readouterr().err
    assert code == cli.EXIT_ERROR
    assert "engine 'postgres'" in message and "adapter 'spark'" in message, message
    assert "sparksql or databricks" in message and "--target" in message, message
    assert spark_double.write_requests() == []
