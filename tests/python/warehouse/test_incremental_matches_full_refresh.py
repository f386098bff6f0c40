"""Incremental runs give the same rows as a full refresh, late events included.

Builds the incremental models on demo data ending at day D, appends two more days (with the
generator's late events for days before D), runs them incrementally, snapshots every incremental
model, rebuilds with --full-refresh and compares the two, row by row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import ConnectionSettings, connect, create_exp_sources

EVENTS = 20_000
SEED = 11
END_AT = datetime(2026, 1, 20, tzinfo=UTC)
BUILD = [
    "build",
    "--select",
    "+config.materialized:incremental",
    "--resource-type",
    "model",
    "--resource-type",
    "seed",
]


def _incremental_relations(target: Path) -> dict[str, str]:
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        node["name"]: f'"{node["schema"]}"."{node["alias"]}"'
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }


def _canonical(value) -> str:
    # Sums of the same floats in another order may differ in the last bits.
    return f"{value:.9g}" if isinstance(value, float) else repr(value)


def _snapshot(settings: ConnectionSettings, relations: dict[str, str]) -> dict[str, list]:
    conn = connect(settings)
    snapshot = {}
    with conn.cursor() as cur:
        for name, relation in relations.items():
            cur.execute(f"select * from {relation}")
            snapshot[name] = sorted(tuple(_canonical(v) for v in row) for row in cur.fetchall())
    conn.close()
    return snapshot


@pytest.fixture(scope="module")
def builds(new_database, tmp_path_factory):
    from experiment_analytics.demo_data import append_days, generate

    settings = new_database("incremental")
    create_exp_sources(settings)
    generate(settings, events=EVENTS, seed=SEED, end_at=END_AT)
    first = tmp_path_factory.mktemp("dbt_first")
    run_dbt(BUILD, settings, target_path=first)
    append_days(settings, events=EVENTS, seed=SEED, end_at=END_AT, days=2)
    incremental = tmp_path_factory.mktemp("dbt_incremental")
    run_dbt(BUILD, settings, target_path=incremental)
    relations = _incremental_relations(incremental)
    after_incremental = _snapshot(settings, relations)
    full = tmp_path_factory.mktemp("dbt_full")
    run_dbt([*BUILD, "--full-refresh"], settings, target_path=full)
    after_full_refresh = _snapshot(settings, relations)
    return settings, incremental, relations, after_incremental, after_full_refresh


@pytest.mark.slow
def test_the_appended_days_hold_late_events_for_earlier_days(builds):
    settings = builds[0]
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "select count(*) from exp.events where received_at > %s and occurred_at < %s",
            (END_AT, END_AT.replace(hour=0)),
        )
        late = cur.fetchone()[0]
    conn.close()
    assert late > 0, "the test needs events of earlier days that arrive after the first build"


@pytest.mark.slow
def test_the_second_run_took_the_incremental_path(builds):
    _, incremental, relations, *_ = builds
    assert {"generations", "variant_daily_metrics", "daily_request_metrics"} <= set(relations)
    compiled = next(incremental.glob("run/**/marts/core/generations.sql")).read_text()
    assert "days_to_rebuild" in compiled and "delete from" in compiled


@pytest.mark.slow
def test_every_incremental_model_equals_its_full_refresh(builds):
    _, _, relations, after_incremental, after_full_refresh = builds
    for name in relations:
        assert after_incremental[name], f"{name} is empty"
        assert after_incremental[name] == after_full_refresh[name], (
            f"{name}: incremental and full refresh differ"
        )
