"""A feed that behaves like a real platform's: late, re-delivered, replayed and wrong rows.

A demo warehouse is built (the baseline), then the feed goes on as a platform's would: an
outage of four days, rows re-delivered with their original received_at, late rows 10 days
back, a replay of a whole old day, a reused event id, a reused request_id, an event with a
received_at a year ahead, and one event for each rule added by issue 14 (variant of another
experiment, occurred_at in the future, received_at before occurred_at, no request_id, an active
experiment without started_at), all in experiment 1 (the blast radius). Then the incremental
`dbt build` a scheduler runs, then a `--full-refresh`. The tests show: nothing lost (every valid
generation in the marts, incremental == full refresh on every incremental mart), no bad row in
any mart, and each rule reported with sample ids while the build stays green.

A second database, cloned from the baseline, shows a failed build: it does not go green by
itself later, and once the input is fixed the next build rebuilds the days it missed. A third
clone runs a deliberately broken copy of the project (a mart whose SQL emits a duplicate row):
the mart's enforced contract constraints fail the statement that writes it, so the mart keeps
the rows it had and every model built on it is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.warehouse import ConnectionSettings, connect, create_exp_sources

from .conftest import ParsedProject, node_name
from .marts import differences, snapshot

EVENTS = 3_000
SEED = 5
END_AT = datetime(2026, 1, 20, tzinfo=UTC)
BUILD = ["build", "--exclude-resource-type", "unit_test"]
AUDIT_SCHEMA = "analytics_test_failures"
MARTS = {
    name: f"analytics.{name}"
    for name in (
        "generations",
        "experiment_daily_events",
        "variant_daily_metrics",
        "variant_daily_edit_counts",
        "daily_quality_metrics",
        "constraint_violations",
        "daily_request_metrics",
        "daily_model_costs",
        "unit_daily_statistics",
        "event_quarantine",
        # the statistics cards' tables: pairs of days, and units by previous active day
        "arm_day_pair_statistics",
        "arm_day_unit_entries",
    )
}
COLUMNS = (
    "id, event_type, experiment_id, variant_id, unit_id, request_id, occurred_at, received_at,"
    " policy_version_id, latency_ms, prompt_tokens, completion_tokens,"
    " constraint_respect_score, alignment_score, diversity_score, edit_count"
)
REPLAYED_DAY = (
    "select * from analytics.generations where generated_date = '2025-12-31' order by request_id"
)
ARRIVED_AT = "'2026-01-23 23:00:00+00'"  # during the fourth day of the outage


def copy_of_a_generation(day_offset: int, *, pick: int, **values: str) -> str:
    """Insert a copy of the `pick`-th generation of experiment 1 on END_AT + day_offset days,
    with `values` replacing columns (SQL expressions over the original row `g`)."""
    day = (END_AT + timedelta(days=day_offset)).date().isoformat()
    columns = [c.strip() for c in COLUMNS.split(",")]
    selected = [values.get(column, f"g.{column}") for column in columns]
    return (
        f"insert into exp.events ({COLUMNS}) select {', '.join(selected)} from ("
        "select * from exp.events where event_type = 'generation' and experiment_id = 1"
        f" and occurred_at >= '{day}'::date and occurred_at < '{day}'::date + 1"
        f" order by id offset {pick} limit 1) as g"
    )


# Each injected bad event: its rule and its event id.
BAD_EVENTS = {
    "received_in_future": 90_000_001,
    "variant_of_another_experiment": 90_000_002,
    "occurred_in_future": 90_000_003,
    "received_before_occurred": 90_000_004,
    "request_id_missing": 90_000_005,
    "experiment_active_without_started_at": 90_000_006,
    "event_id_reused": None,  # the id of an existing event: found after the build
    "request_id_reused_by_another_generation": 90_000_008,
}
LATE_IDS = (90_000_101, 90_000_102)


def _inject(cur) -> None:
    new_request = "gen_random_uuid()"
    cur.execute("alter table exp.events alter column request_id drop not null")
    statements = [
        # a year ahead: quarantined, and the four new days still reach the marts
        copy_of_a_generation(
            3,
            pick=0,
            id="90000001",
            request_id=new_request,
            received_at="now() + interval '1 year'",
        ),
        # variant 21 belongs to experiment 2
        copy_of_a_generation(
            2,
            pick=1,
            id="90000002",
            request_id=new_request,
            variant_id="21",
            received_at=ARRIVED_AT,
        ),
        copy_of_a_generation(
            2,
            pick=2,
            id="90000003",
            request_id=new_request,
            occurred_at="now() + interval '1 year'",
            received_at=ARRIVED_AT,
        ),
        copy_of_a_generation(
            2,
            pick=3,
            id="90000004",
            request_id=new_request,
            occurred_at="g.received_at + interval '1 hour'",
        ),
        copy_of_a_generation(2, pick=4, id="90000005", request_id="null"),
        # a reused request id: a second generation for an existing request
        copy_of_a_generation(-5, pick=0, id="90000008", received_at=ARRIVED_AT),
        # a reused event id: other content, a new request, the id of an existing event
        copy_of_a_generation(
            -6,
            pick=0,
            request_id=new_request,
            latency_ms="g.latency_ms + 1",
            received_at=ARRIVED_AT,
        ),
        # late rows, 10 days back, arriving now
        copy_of_a_generation(
            -10, pick=1, id="90000101", request_id=new_request, received_at=ARRIVED_AT
        ),
        copy_of_a_generation(
            -10, pick=2, id="90000102", request_id=new_request, received_at=ARRIVED_AT
        ),
        # a replay: every event of an old day again, exactly
        "insert into exp.events select * from exp.events"
        " where occurred_at >= '2025-12-31' and occurred_at < '2026-01-01'",
        # re-delivered with their original received_at
        "insert into exp.events select * from held_back_events",
        # an active experiment without started_at (experiment 8 is a draft without one)
        "update exp.experiments set status = 'active' where id = 8",
        f"insert into exp.events ({COLUMNS}) select 90000006, 'generation', 8, 81, 'u-8',"
        " gen_random_uuid(), occurred_at, received_at, policy_version_id, latency_ms,"
        " prompt_tokens, completion_tokens, constraint_respect_score, alignment_score,"
        f" diversity_score, null from exp.events where id = 90000002",
    ]
    for statement in statements:
        cur.execute(statement)


def _query(settings: ConnectionSettings, sql: str) -> list[tuple]:
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return rows


def _execute(settings: ConnectionSettings, *statements: str) -> None:
    conn = connect(settings)
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.close()


@dataclass(frozen=True)
class Build:
    statuses: dict[str, str]
    marts: dict[str, list]


def _results_by_node(results: list[dict]) -> dict[str, dict]:
    """A run's results (run_results.json) by node name."""
    return {node_name(result["unique_id"]): result for result in results}


def _build(parsed_project: ParsedProject, settings, name: str, *extra: str) -> Build:
    results = _results_by_node(parsed_project.run([*BUILD, *extra], settings, name))
    return Build(
        {node: result["status"] for node, result in results.items()}, snapshot(settings, MARTS)
    )


def _broken(build: Build) -> dict[str, str]:
    return {n: s for n, s in build.statuses.items() if s in ("fail", "error", "skipped")}


@dataclass(frozen=True)
class Feed:
    settings: ConnectionSettings
    baseline_replayed_day: list[tuple]
    held_back_requests: set[str]
    reused_event_id: int
    incremental: Build
    full_refresh: Build


@pytest.fixture(scope="module")
def baseline(new_database, parsed_project: ParsedProject) -> ConnectionSettings:
    from experiment_analytics.demo_data import generate

    settings = new_database("feed")
    create_exp_sources(settings)
    generate(settings, events=EVENTS, seed=SEED, end_at=END_AT)
    # held back from the first delivery: three requests of ten days before the end
    _execute(
        settings,
        "create table held_back_events as select * from exp.events where request_id in ("
        " select request_id from exp.events where event_type = 'generation'"
        " and occurred_at >= '2026-01-10' and occurred_at < '2026-01-11' order by id limit 3)",
        "delete from exp.events where request_id in (select request_id from held_back_events)",
        # the upstream pipeline had not seen them either
        "delete from exp.metric_aggregates as m using held_back_events as h"
        " where m.experiment_id = h.experiment_id and m.variant_id = h.variant_id"
        " and m.bucket_start in (date_trunc('hour', h.occurred_at, 'UTC'),"
        " date_trunc('day', h.occurred_at, 'UTC'))",
    )
    build = _build(parsed_project, settings, "feed_baseline")
    assert not _broken(build), f"the baseline build failed: {_broken(build)}"
    return settings


def _clone(baseline: ConnectionSettings, new_database, name: str) -> ConnectionSettings:
    clone = new_database(name)
    _execute(
        baseline.with_database("postgres"),
        f'drop database "{clone.dbname}"',
        f'create database "{clone.dbname}" template "{baseline.dbname}"',
    )
    return clone


@pytest.fixture(scope="module")
def failed_build_clone(baseline: ConnectionSettings, new_database) -> ConnectionSettings:
    return _clone(baseline, new_database, "feed_clone")


@pytest.fixture(scope="module")
def broken_mart_clone(baseline: ConnectionSettings, new_database) -> ConnectionSettings:
    return _clone(baseline, new_database, "broken_mart_clone")


@pytest.fixture(scope="module")
def feed(
    baseline: ConnectionSettings, failed_build_clone, broken_mart_clone, parsed_project
) -> Feed:
    from experiment_analytics.demo_data import append_days

    settings = baseline
    replayed_day = _query(settings, REPLAYED_DAY)
    held_back = {r for (r,) in _query(settings, "select request_id::text from held_back_events")}
    reused = _query(
        settings,
        "select min(id) from exp.events where event_type = 'generation' and experiment_id = 1"
        " and occurred_at >= '2026-01-14' and occurred_at < '2026-01-15'",
    )[0][0]
    append_days(settings, events=EVENTS, seed=SEED, end_at=END_AT, days=4)
    conn = connect(settings)
    with conn.cursor() as cur:
        _inject(cur)
    conn.close()
    incremental = _build(parsed_project, settings, "feed_incremental")
    full_refresh = _build(parsed_project, settings, "feed_full_refresh", "--full-refresh")
    return Feed(settings, replayed_day, held_back, reused, incremental, full_refresh)


def _generation_requests(feed: Feed) -> set[str]:
    return {
        r for (r,) in _query(feed.settings, "select request_id::text from analytics.generations")
    }


@pytest.mark.slow
def test_the_incremental_build_stays_green_for_every_experiment(feed: Feed):
    assert not _broken(feed.incremental), _broken(feed.incremental)
    warned = {n for n, s in feed.incremental.statuses.items() if s == "warn"}
    assert {f"exp_events_{rule}" for rule in BAD_EVENTS} <= warned


@pytest.mark.slow
def test_incremental_equals_full_refresh_on_every_mart(feed: Feed):
    assert not differences(feed.incremental.marts, feed.full_refresh.marts)


@pytest.mark.slow
def test_nothing_lost_and_no_bad_row_in_the_marts(feed: Feed):
    # the oracle: every request with a generation event, except the injected bad ones
    valid = {
        r
        for (r,) in _query(
            feed.settings,
            "select distinct request_id::text from exp.events where event_type = 'generation'"
            " and request_id is not null and id < 90000000 and experiment_id <> 8",
        )
    }
    late = {
        r
        for (r,) in _query(
            feed.settings,
            "select request_id::text from exp.events where id in (90000101, 90000102)",
        )
    }
    reused_id_request = _query(
        feed.settings,
        f"select request_id::text from exp.events where id = {feed.reused_event_id}"
        " order by received_at desc limit 1",
    )[0][0]
    expected = (valid | late) - {reused_id_request}
    assert _generation_requests(feed) == expected


@pytest.mark.slow
def test_a_future_received_at_does_not_stop_later_ingestion(feed: Feed):
    quarantined = _query(
        feed.settings,
        "select quarantine_rule from analytics.event_quarantine where event_id = 90000001",
    )
    assert quarantined == [("received_in_future",)]
    new_days = _query(
        feed.settings,
        "select count(*) from exp.events where event_type = 'generation' and id < 90000000"
        " and occurred_at >= '2026-01-20'",
    )[0][0]
    in_marts = _query(
        feed.settings,
        "select count(*) from analytics.generations where generated_date >= '2026-01-20'",
    )[0][0]
    assert new_days > 50 and in_marts == new_days


@pytest.mark.slow
def test_rows_re_delivered_with_their_original_received_at_reach_the_marts(feed: Feed):
    assert feed.held_back_requests and feed.held_back_requests <= _generation_requests(feed)


@pytest.mark.slow
def test_late_rows_ten_days_back_reach_the_marts(feed: Feed):
    days = _query(
        feed.settings,
        "select g.generated_date from analytics.generations as g inner join exp.events as e"
        " on g.request_id = e.request_id where e.id in (90000101, 90000102)",
    )
    assert len(days) == 2 and all(day.isoformat() == "2026-01-10" for (day,) in days)


@pytest.mark.slow
def test_a_replayed_day_counts_once(feed: Feed):
    replayed = _query(feed.settings, REPLAYED_DAY)
    assert feed.baseline_replayed_day and replayed == feed.baseline_replayed_day


@pytest.mark.slow
def test_reused_ids_keep_the_first_event_and_quarantine_the_later(feed: Feed):
    rules = dict(
        _query(
            feed.settings,
            "select quarantine_rule, count(*) from analytics.event_quarantine"
            f" where event_id in ({feed.reused_event_id}, 90000008) group by 1",
        )
    )
    assert rules == {"event_id_reused": 1, "request_id_reused_by_another_generation": 1}


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(BAD_EVENTS))
def test_each_rule_is_reported_with_its_keys(feed: Feed, rule: str):
    test_name = f"exp_events_{rule}"
    assert feed.incremental.statuses[test_name] == "warn"
    ((source_table, reported_rule, count, sample_ids),) = _query(
        feed.settings, f'select * from "{AUDIT_SCHEMA}"."{test_name}"'
    )
    assert (source_table, reported_rule) == ("exp.events", rule) and count >= 1
    event_id = BAD_EVENTS[rule] or feed.reused_event_id
    if rule != "request_id_missing":
        assert event_id in sample_ids


@pytest.mark.slow
def test_a_failed_build_is_rebuilt_and_retested_until_fixed(failed_build_clone, parsed_project):
    from experiment_analytics.demo_data import append_days

    settings = failed_build_clone
    ledger = "select * from analytics.int_event_log_ledger order by occurred_date"
    before = _query(settings, ledger)
    # A policy version without a model name fails a source test, so every model after it is
    # skipped. (A model without a price only warns: the cost cards name it, issue #13.)
    broken_test = "source_not_null_exp_policy_versions_model_name"
    # a new day, and the broken policy version: the build fails
    append_days(settings, events=EVENTS, seed=SEED, end_at=END_AT, days=1)
    _execute(settings, "alter table exp.policy_versions alter column model_name drop not null")
    _execute(settings, "update exp.policy_versions set model_name = null where id = 2")
    first = _build(parsed_project, settings, "failed_first")
    assert first.statuses[broken_test] == "fail"
    assert first.statuses["generations"] == "skipped"
    assert _query(settings, ledger) == before, "a failed build advanced the ledger"
    # the next scheduled build, still broken: still failed, nothing built on top of it
    second = _build(parsed_project, settings, "failed_second")
    assert second.statuses[broken_test] == "fail", "the failure went green by itself"
    # fixed: the next build rebuilds every day it missed
    _execute(settings, "update exp.policy_versions set model_name = 'orion-70b' where id = 2")
    fixed = _build(parsed_project, settings, "failed_fixed")
    assert not _broken(fixed), _broken(fixed)
    full = _build(parsed_project, settings, "failed_full_refresh", "--full-refresh")
    assert not differences(fixed.marts, full.marts)
    new_days = _query(
        settings, "select count(*) from analytics.generations where generated_date >= '2026-01-20'"
    )[0][0]
    assert new_days > 0


# --- a mart whose own SQL is wrong is not published -------------------------------------------

BROKEN_MART = "generations"


def _copy_with_a_duplicating_mart(destination: Path, mart: str) -> Path:
    """A copy of the dbt project whose `mart` emits one of its rows twice (a regression in the
    mart's SQL that no input rule can catch): its final `select * from <cte>` gets a
    `union all` of that CTE's first row."""
    destination.mkdir(parents=True)
    for name in ("dbt_project.yml", "models", "macros", "seeds", "tests", "analyses"):
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("python"))
        else:
            shutil.copy(source, destination / name)
    (model,) = (destination / "models").rglob(f"{mart}.sql")
    sql = model.read_text()
    final = re.search(r"select \* from (\w+)\s*$", sql)
    assert final, f"{model}: expected the house style's final 'select * from <cte>'"
    cte = final.group(1)
    model.write_text(
        sql[: final.start()] + f"select * from {cte}\nunion all\n(select * from {cte} limit 1)\n"
    )
    return destination


@dataclass(frozen=True)
class BrokenMartBuild:
    results: dict[str, dict]
    descendants: set[str]
    before: list[tuple]
    after: list[tuple]


@pytest.fixture(scope="module")
def broken_mart_build(broken_mart_clone, pg_server, tmp_path_factory) -> BrokenMartBuild:
    from experiment_analytics.demo_data import append_days

    settings = broken_mart_clone
    append_days(settings, events=EVENTS, seed=SEED, end_at=END_AT, days=1)
    relation = {BROKEN_MART: f"analytics.{BROKEN_MART}"}
    before = snapshot(settings, relation)[BROKEN_MART]
    root = tmp_path_factory.mktemp("broken_mart")
    broken = ParsedProject(
        pg_server, root / "target", _copy_with_a_duplicating_mart(root / "project", BROKEN_MART)
    )
    results = broken.run(BUILD, settings, "broken_mart_incremental")
    manifest = json.loads((root / "target" / "parse" / "manifest.json").read_text())
    descendants, frontier = set(), [f"model.experiment_analytics.{BROKEN_MART}"]
    while frontier:
        for child in manifest["child_map"][frontier.pop()]:
            if child.startswith("model.") and child not in descendants:
                # ephemeral models run inside their children's statements
                descendants.add(child)
                frontier.append(child)
    return BrokenMartBuild(
        _results_by_node(results),
        {
            node_name(d)
            for d in descendants
            if manifest["nodes"][d]["config"]["materialized"] != "ephemeral"
        },
        before,
        snapshot(settings, relation)[BROKEN_MART],
    )


@pytest.mark.slow
def test_a_mart_that_breaks_its_contract_constraint_fails_naming_the_key(
    broken_mart_build: BrokenMartBuild,
):
    result = broken_mart_build.results[BROKEN_MART]
    assert result["status"] == "error"
    message = result["message"] or ""
    assert "duplicate key value violates unique constraint" in message, message
    assert "Key (request_id)=(" in message, message


@pytest.mark.slow
def test_a_mart_that_breaks_its_contract_keeps_the_rows_it_had(
    broken_mart_build: BrokenMartBuild,
):
    # the new day's rows were not published, and no old row was lost or changed
    assert broken_mart_build.before and broken_mart_build.after == broken_mart_build.before


@pytest.mark.slow
def test_nothing_is_built_on_a_mart_that_breaks_its_contract(
    broken_mart_build: BrokenMartBuild,
):
    assert broken_mart_build.descendants, "expected models built on the broken mart"
    statuses = {
        name: broken_mart_build.results[name]["status"] for name in broken_mart_build.descendants
    }
    assert set(statuses.values()) == {"skipped"}, statuses


@dataclass(frozen=True)
class Refusals:
    lone_full_refresh: dict
    generations_before: list[tuple]
    generations_after: list[tuple]
    without_constraints: dict


@pytest.fixture(scope="module")
def refusals(broken_mart_build, broken_mart_clone, parsed_project) -> Refusals:
    """Two builds the project refuses on the broken-mart clone (its generations unchanged)."""
    settings = broken_mart_clone
    relation = {BROKEN_MART: f"analytics.{BROKEN_MART}"}
    before = snapshot(settings, relation)[BROKEN_MART]
    # a full refresh of a day-rebuilding mart alone would read only the last build's batch
    lone = parsed_project.run(
        ["build", "--full-refresh", "--select", BROKEN_MART, "--resource-type", "model"],
        settings,
        "lone_full_refresh",
    )
    after = snapshot(settings, relation)[BROKEN_MART]
    # a mart created before its constraints were declared (here: one dropped by hand)
    _execute(
        settings,
        "alter table analytics.variant_daily_metrics"
        " drop constraint acceptance_rate_between_0_and_1",
    )
    unconstrained = parsed_project.run(
        ["build", "--select", "variant_daily_metrics", "--resource-type", "model"],
        settings,
        "without_constraints",
    )
    return Refusals(
        _results_by_node(lone)[BROKEN_MART],
        before,
        after,
        _results_by_node(unconstrained)["variant_daily_metrics"],
    )


@pytest.mark.slow
def test_a_lone_full_refresh_of_a_day_rebuilding_mart_is_refused(refusals: Refusals):
    assert refusals.lone_full_refresh["status"] == "error"
    assert "--select +generations+" in refusals.lone_full_refresh["message"]
    assert refusals.generations_after == refusals.generations_before


@pytest.mark.slow
def test_a_mart_without_its_declared_constraints_is_not_written_unchecked(refusals: Refusals):
    result = refusals.without_constraints
    assert result["status"] == "error"
    assert "constraints its contract declares" in result["message"], result["message"]
    assert "dbt build --full-refresh --select +variant_daily_metrics+" in result["message"]
