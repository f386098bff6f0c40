"""The card and alert SQL (analyses/) on Spark, and publishing it to a Metabase database of
engine sparksql (the stand-in), over the marts the session's Spark build made.

The analyses are compiled for target spark in this process (the session's Spark) and for the
reference PostgreSQL; every card and alert whose models the session built runs on both engines
(Metabase's optional filter clauses left out) and returns the same rows. Those that read a model
the Spark session does not build yet are named by `waiting_for` (README "Running on Apache
Spark"), never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
import yaml

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase import PublishOptions, publish
from experiment_analytics.metabase.errors import PublisherError
from experiment_analytics.metabase.project import compile_analyses
from experiment_analytics.metabase.validate import executable_sql

from .compare import differences
from .conftest import SparkDbt


def _utc_naive(value):
    """Timestamps of both engines as naive UTC (PostgreSQL's timestamptz comes back aware)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


@pytest.fixture(scope="module")
def manifests(engines, tmp_path_factory) -> dict[str, dict]:
    """The analyses compiled for each engine: {'spark': manifest, 'postgres': manifest}."""
    spark_target = tmp_path_factory.mktemp("analyses_spark")
    SparkDbt(spark_target).invoke(["compile", "--quiet", "--select", "resource_type:analysis"])
    postgres_target = tmp_path_factory.mktemp("analyses_postgres")
    compile_analyses(engines.postgres, postgres_target)
    return {
        "spark": json.loads((spark_target / "manifest.json").read_text()),
        "postgres": json.loads((postgres_target / "manifest.json").read_text()),
        "spark_manifest_path": spark_target / "manifest.json",
    }


def _analyses(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "analysis"}


def waiting_for(engines, manifest: dict, analysis: dict) -> list[str]:
    """The relations an analysis reads that the session's Spark build did not make."""
    missing = []
    for unique_id in analysis["depends_on"]["nodes"]:
        node = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
        schema, table = node["schema"], node.get("alias") or node["name"]
        if not engines.spark.sql(f"show tables in {schema} like '{table}'"):
            missing.append(f"{schema}.{table}")
    return missing


ALL_ANALYSES = sorted(
    path.stem for path in (PROJECT_DIR / "analyses").rglob("*.sql") if path.is_file()
)


@pytest.mark.parametrize("name", ALL_ANALYSES)
def test_card_and_alert_sql_runs_on_spark_as_on_postgresql(engines, manifests, name):
    spark_node = _analyses(manifests["spark"])[name]
    missing = waiting_for(engines, manifests["spark"], spark_node)
    spark_sql = executable_sql(spark_node["compiled_code"])
    if missing:
        # Not built on Spark by this session (yet): the SQL must still compile for Spark with
        # no PostgreSQL-only syntax left; the run waits for its marts (README).
        assert "at time zone" not in spark_sql and "distinct on" not in spark_sql, name
        assert "::text" not in spark_sql and "generate_series" not in spark_sql, name
        return
    postgres_sql = executable_sql(_analyses(manifests["postgres"])[name]["compiled_code"])
    names = [column.name for column in _spark_columns(spark_sql)]
    pg_rows = [tuple(map(_utc_naive, row)) for row in engines.pg(postgres_sql)]
    spark_rows = [tuple(map(_utc_naive, row)) for row in engines.spark.sql(spark_sql)]
    assert differences(names, pg_rows, spark_rows) == [], name


def _spark_columns(sql: str):
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    return session.sql(f"select * from ({sql}) as card limit 0").schema.fields


def test_cards_without_a_time_window_return_rows_on_spark(engines, manifests):
    """The cards over the whole history are not empty on the test data (the windowed ones are
    relative to now(), after the test data's last day): the comparison above compares rows."""
    for name in (
        "variant_performance__acceptance_rate_over_time",
        "variant_performance__latency_percentiles_over_time",
        "variant_performance__edit_count_distribution",
        "daily_metrics",
    ):
        sql = executable_sql(_analyses(manifests["spark"])[name]["compiled_code"])
        assert engines.spark.sql(f"select count(*) from ({sql}) as card")[0][0] > 0, name


# ---- publishing to a Metabase database of engine sparksql ----------------------------------
def _waiting_on_spark(engines, manifests) -> tuple[str, ...]:
    """The dashboards, Metabase models and alerts with a query that reads a model the session's
    Spark build did not make: left out of the publish by name (`exclude`)."""
    manifest = manifests["spark"]
    analyses = _analyses(manifest)

    def waits(query: str) -> bool:
        return bool(waiting_for(engines, manifest, analyses[query]))

    excluded = []
    for exposure in manifest["exposures"].values():
        if exposure.get("type") != "dashboard":
            continue
        meta = {
            **(exposure.get("meta") or {}),
            **((exposure.get("config") or {}).get("meta") or {}),
        }
        spec = yaml.safe_load((PROJECT_DIR / meta["metabase"]["spec"]).read_text())
        if any(waits(card["query"]) for card in spec["cards"] if "query" in card):
            excluded.append(exposure["name"])
    config = yaml.safe_load((PROJECT_DIR / "metabase" / "publisher.yml").read_text())
    for item in [*config["metabase_models"], *config["alerts"]]:
        if waits(item["query"]):
            excluded.append(item["key"])
    return tuple(excluded)


@pytest.fixture(scope="module")
def spark_double():
    from experiment_analytics.metabase_double import MetabaseDouble

    double = MetabaseDouble(warehouse=None, sync_delay_seconds=0.05).start()
    yield double
    double.stop()


def test_publishes_to_a_sparksql_database_and_its_cards_run_on_spark(
    engines, manifests, spark_double, tmp_path
):
    options = PublishOptions(
        metabase_url=spark_double.url,
        metabase_api_key=spark_double.api_key,
        metabase_database="Experiments on Spark",
        warehouse=engines.postgres,
        target_dir=tmp_path,
        manifest_path=manifests["spark_manifest_path"],
        exclude=_waiting_on_spark(engines, manifests),
        compile=False,
        add_database=True,
        sync_timeout=120,
    )
    summary = publish(options)
    headers = {"X-API-KEY": spark_double.api_key}
    databases = requests.get(f"{spark_double.url}/api/database", headers=headers, timeout=30)
    [database] = [d for d in databases.json()["data"] if d["name"] == "Experiments on Spark"]
    assert database["engine"] == "sparksql"
    assert database["details"]["port"] == 10000
    cards = requests.get(f"{spark_double.url}/api/card", headers=headers, timeout=30).json()
    spark_cards = [c for c in cards if c.get("database_id") == database["id"]]
    assert spark_cards, summary
    results = {}
    for card in spark_cards:
        answer = requests.post(
            f"{spark_double.url}/api/card/{card['id']}/query", headers=headers, timeout=300
        ).json()
        results[card["name"]] = answer.get("status"), answer.get("error")
    assert all(status == "completed" for status, _ in results.values()), results
    # a second publish changes nothing
    again = publish(options)
    assert [c for c in again.changes if c.action != "unchanged"] == []


def test_a_database_of_another_engine_is_refused_with_the_fix(
    engines, manifests, spark_double, tmp_path
):
    from experiment_analytics.metabase_double import api_core

    api_core.register_warehouse(spark_double.state, "Experiments on PostgreSQL", engines.postgres)
    options = PublishOptions(
        metabase_url=spark_double.url,
        metabase_api_key=spark_double.api_key,
        metabase_database="Experiments on PostgreSQL",
        warehouse=engines.postgres,
        target_dir=tmp_path,
        manifest_path=manifests["spark_manifest_path"],
        exclude=_waiting_on_spark(engines, manifests),
        compile=False,
    )
    with pytest.raises(PublisherError) as refused:
        publish(options)
    message = str(refused.value)
    assert "engine 'postgres'" in message and "adapter 'spark'" in message
    assert "sparksql or databricks" in message and "--target" in message
