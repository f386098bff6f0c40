"""Incremental runs give the same rows as a full refresh, late events included.

Builds the incremental models on demo data ending at day D, appends two more days (with the
generator's late events for days before D), runs them incrementally, snapshots every incremental
model, rebuilds with --full-refresh and compares the two, row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import ConnectionSettings, connect, create_exp_sources

from .marts import incremental_relations, same_rows, snapshot

EVENTS = 20_000
SEED = 11
END_AT = datetime(2026, 1, 20, tzinfo=UTC)
BUILD = [
    "build",
    "--select",
    "+config.materialized:incremental",
    # the ledger of processed days: without it every build rebuilds everything
    "int_event_log_ledger",
    # what the card tables' pre-period was: without it they rebuild every day
    "int_arm_day_pre_period_ledger",
    "--resource-type",
    "model",
    "--resource-type",
    "seed",
]


@dataclass(frozen=True)
class Builds:
    settings: ConnectionSettings
    relations: dict[str, str]
    incremental_sql: str
    card_tables_sql: dict[str, str]
    after_incremental: dict[str, list]
    after_full_refresh: dict[str, list]


@pytest.fixture(scope="module")
def builds(new_database, tmp_path_factory) -> Builds:
    from experiment_analytics.demo_data import append_days, generate

    settings = new_database("incremental")
    create_exp_sources(settings)
    generate(settings, events=EVENTS, seed=SEED, end_at=END_AT)
    # One target directory: the later runs reuse the first one's parse.
    target = tmp_path_factory.mktemp("dbt_incremental")
    run_dbt(BUILD, settings, target_path=target)
    append_days(settings, events=EVENTS, seed=SEED, end_at=END_AT, days=2)
    run_dbt(BUILD, settings, target_path=target)
    relations = incremental_relations(target)
    incremental_sql = next(target.glob("compiled/**/int_events_checked.sql")).read_text()
    card_tables_sql = {
        name: next(target.glob(f"compiled/**/{name}.sql")).read_text()
        for name in ("arm_day_pair_statistics", "arm_day_unit_entries")
    }
    after_incremental = snapshot(settings, relations)
    run_dbt([*BUILD, "--full-refresh"], settings, target_path=target)
    return Builds(
        settings,
        relations,
        incremental_sql,
        card_tables_sql,
        after_incremental,
        snapshot(settings, relations),
    )


@pytest.mark.slow
def test_the_appended_days_hold_late_events_for_earlier_days(builds: Builds):
    conn = connect(builds.settings)
    with conn.cursor() as cur:
        cur.execute(
            "select count(*) from exp.events where received_at > %s and occurred_at < %s",
            (END_AT, END_AT.replace(hour=0)),
        )
        late = cur.fetchone()[0]
    conn.close()
    assert late > 0, "the test needs events of earlier days that arrive after the first build"


@pytest.mark.slow
def test_the_second_run_took_the_incremental_path(builds: Builds):
    assert {"generations", "variant_daily_metrics", "daily_request_metrics"} <= set(
        builds.relations
    )
    # the batch of the second run holds the rebuilt days and their neighbours, not every event
    assert "request_neighbours" in builds.incremental_sql
    # the card tables computed the pairs of the units active on a rebuilt day, and the days
    # from the earliest rebuilt one (not every day: then these CTEs are not there)
    assert "touched_units" in builds.card_tables_sql["arm_day_pair_statistics"]
    assert "min(rebuilt.occurred_date)" in builds.card_tables_sql["arm_day_unit_entries"]


@pytest.mark.slow
def test_every_incremental_model_equals_its_full_refresh(builds: Builds):
    for name in builds.relations:
        if name != "event_quarantine":  # the demo data break no rule
            assert builds.after_incremental[name], f"{name} is empty"
        assert same_rows(builds.after_incremental[name], builds.after_full_refresh[name]), (
            f"{name}: incremental and full refresh differ"
        )
