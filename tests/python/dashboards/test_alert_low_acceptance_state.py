"""The low-acceptance alert reads a built state plus a live tail, and answers exactly as the
former live definition (every event counted at each check: low_acceptance_reference.py).

The demo data set, of which the events received in its last 18 hours are held back while dbt
builds the state (a build that is hours old), then stored again with a few more: a late outcome
of a built generation, a generation received twice, a request id reused by another unit, an
outcome without its generation and an event received in the future. Checks are replayed every
6 hours (plus a few seconds, as a scheduler fires) before and after the build's mark; at each,
the alert's rows and its per-arm sums at every check instant (the CTE arm_sums) must be the
same as the live definition's, row for row and value for value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.demo_data.generator import generate
from experiment_analytics.warehouse import create_exp_sources

from .content import CompiledProject, Warehouse, compile_project, publisher_config
from .low_acceptance_reference import LIVE_DEFINITION

pytestmark = pytest.mark.slow

DEMO_EVENTS = 40_000
DEMO_SEED = 5
DEMO_END_AT = dt.datetime(2026, 3, 1, 5, 30, tzinfo=dt.UTC)
HELD_BACK = dt.timedelta(hours=18)
FINAL_SELECT = "select * from treatments_below_threshold"


class StateWarehouse(Warehouse):
    compiled: CompiledProject
    target: Path

    def build_state(self, *flags: str) -> None:
        run_dbt(
            ["run", "--select", "alert_acceptance_state", "--quiet", *flags],
            self.settings,
            target_path=self.target,
        )

    def state_rows(self) -> list[tuple]:
        state = self.compiled.relations["alert_acceptance_state"]
        with self.conn.cursor() as cur:
            cur.execute(f"select * from {state}")
            return sorted(cur.fetchall(), key=lambda row: tuple(map(repr, row)))

    def rows_at(self, sql: str, at: dt.datetime) -> list[tuple]:
        self.execute(
            "select set_config('experiment_analytics.alert_checked_at', %s, false)",
            (at.isoformat(),),
        )
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()


def arm_sums(sql: str) -> str:
    """The query up to its per-arm sums at every check instant, instead of its alert rows."""
    assert sql.count(FINAL_SELECT) == 1
    return sql[: sql.index(FINAL_SELECT)] + "select * from arm_sums order by variant_id, slot"


@pytest.fixture(scope="module")
def state_db(new_database, tmp_path_factory) -> StateWarehouse:
    settings = new_database("alert_state")
    create_exp_sources(settings)
    generate(settings, events=DEMO_EVENTS, seed=DEMO_SEED, end_at=DEMO_END_AT)
    db = StateWarehouse(settings)
    held_from = DEMO_END_AT - HELD_BACK
    db.execute(
        "create table public.held_events as select * from exp.events where received_at > %s;"
        " delete from exp.events where received_at > %s",
        (held_from, held_from),
    )
    target = tmp_path_factory.mktemp("dbt_alert_state")
    run_dbt(
        ["run", "--select", "+alert_acceptance_state", "+variants", "+experiments", "--quiet"],
        settings,
        target_path=target,
    )
    db.compiled = compile_project(settings, target, "path:analyses/metabase/alerts")
    db.target = target
    db.execute("insert into exp.events select * from public.held_events")
    add_tail_cases(db, held_from)
    db.execute("analyze exp.events")
    yield db
    db.conn.close()


def add_tail_cases(db: Warehouse, held_from: dt.datetime) -> None:
    """Events stored after the build, each a copy of a built (or held) generation of an active
    experiment with some columns replaced; ids above every demo id."""
    copy = """
        insert into exp.events
        select (select max(id) from exp.events) + %(n)s, {event_type}, experiment_id,
            variant_id, {unit_id}, {request_id}, occurred_at, {received_at},
            policy_version_id, latency_ms, prompt_tokens, completion_tokens,
            constraint_respect_score, alignment_score, diversity_score, null
        from exp.events
        where event_type = 'generation' and {which}
            and experiment_id in (select id from exp.experiments where status = 'active')
            and request_id not in (select request_id from exp.events
                                   where event_type in ('accepted', 'edited'))
        order by id
        limit 1 offset %(n)s
    """
    built = "received_at < %(held_from)s - interval '2 days'"
    held = "received_at > %(held_from)s"
    cases = [
        # a late outcome of a built generation, received after the build's mark
        dict(event_type="'accepted'", received_at="%(held_from)s + interval '3 hours'"),
        dict(event_type="'edited'", received_at="%(held_from)s + interval '9 hours'"),
        # a built generation delivered again after the mark (counts from its first receipt)
        dict(received_at="%(held_from)s + interval '4 hours'"),
        # a built request id reused by a generation of another unit, then accepted
        dict(unit_id="unit_id || '-other'", received_at="%(held_from)s + interval '5 hours'"),
        # an outcome without a generation, and an event received in the future
        dict(
            event_type="'accepted'",
            request_id="gen_random_uuid()",
            received_at="%(held_from)s + interval '2 hours'",
        ),
        dict(event_type="'accepted'", received_at="now() + interval '1 year'"),
    ]
    for n, case in enumerate(cases, start=1):
        db.execute(
            copy.format(
                event_type=case.get("event_type", "'generation'"),
                unit_id=case.get("unit_id", "unit_id"),
                request_id=case.get("request_id", "request_id"),
                received_at=case["received_at"],
                which=built,
            ),
            {"n": n, "held_from": held_from},
        )
    # the reused request id's outcome, and a held generation accepted later still
    db.execute(
        "insert into exp.events select id + 100000000, 'accepted', experiment_id, variant_id,"
        " unit_id, request_id, occurred_at, received_at + interval '1 hour', null, null, null,"
        " null, null, null, null, null from exp.events where unit_id like '%%-other'"
    )
    db.execute(
        copy.format(
            event_type="'accepted'",
            unit_id="unit_id",
            request_id="request_id",
            received_at="%(held_from)s + interval '16 hours'",
            which=held,
        ),
        {"n": 50, "held_from": held_from},
    )


def alert_sql(db: StateWarehouse) -> tuple[str, str]:
    alert = next(item for item in publisher_config().alerts if item.key == "low_acceptance")
    relations = db.compiled.relations
    live = LIVE_DEFINITION.format(
        stg_exp__events=relations["stg_exp__events"],
        variants=relations["variants"],
        experiments=relations["experiments"],
    )
    return db.compiled.sql[alert.query], live


def check_instants() -> list[dt.datetime]:
    slot = dt.timedelta(hours=6)
    last = DEMO_END_AT.replace(hour=0, minute=0) + dt.timedelta(hours=12)
    instants = [last - k * slot + dt.timedelta(seconds=7) for k in range(14)]
    return [*instants, DEMO_END_AT - dt.timedelta(days=15), DEMO_END_AT + dt.timedelta(days=2)]


def test_state_and_tail_answer_exactly_as_the_live_definition(state_db):
    state = state_db.compiled.relations["alert_acceptance_state"]
    [mark] = [
        row["mark"]
        for row in state_db.rows(
            f"select received_through_at as mark from {state} where state_row = 'mark'"
        )
    ]
    assert mark <= DEMO_END_AT - HELD_BACK
    [tail] = [
        row["n"]
        for row in state_db.rows(
            "select count(*) as n from exp.events where received_at > %s", (mark,)
        )
    ]
    assert tail > 300, "the replay must check a build that is hours old"
    assert_same_answers(state_db, check_instants())


def assert_same_answers(db: StateWarehouse, instants: list[dt.datetime]) -> None:
    alert, live = alert_sql(db)
    compared_sums = 0
    for at in instants:
        assert db.rows_at(alert, at) == db.rows_at(live, at), at
        sums = db.rows_at(arm_sums(alert), at)
        assert sums == db.rows_at(arm_sums(live), at), at
        compared_sums += len(sums)
    assert compared_sums > 500


def test_incremental_builds_keep_the_state_equal_to_a_full_one(state_db):
    """An incremental build reads the events received since the previous mark (the held-back
    ones and the tail cases) and recounts the units they touch: its rows equal a full
    refresh's, and the alert answers as the live definition, with a new tail after it. An event
    up to the mark deleted: the next build computes the whole state again, same answers."""
    state = state_db.compiled.relations["alert_acceptance_state"]

    def mark() -> tuple[dt.datetime, int]:
        [row] = state_db.rows(
            f"select received_through_at, built_event_count from {state} where state_row = 'mark'"
        )
        return row["received_through_at"], row["built_event_count"]

    state_db.build_state()
    received_through, built = mark()
    assert received_through > DEMO_END_AT - dt.timedelta(hours=1)
    [row] = state_db.rows(
        "select count(*) as n from exp.events where received_at <= %s", (received_through,)
    )
    assert built == row["n"]
    incremental = state_db.state_rows()
    state_db.build_state("--full-refresh")
    assert state_db.state_rows() == incremental
    assert mark() == (received_through, built)

    # a new tail after the incremental build: an outcome of a generation built just now
    state_db.execute(
        "insert into exp.events select id + 200000000, 'accepted', experiment_id, variant_id,"
        " unit_id, request_id, occurred_at, %s, null, null, null, null, null, null, null, null"
        " from exp.events where event_type = 'generation' and received_at > %s"
        " and request_id not in"
        " (select request_id from exp.events where event_type <> 'generation')"
        " order by id limit 3",
        (DEMO_END_AT + dt.timedelta(hours=2), DEMO_END_AT - HELD_BACK),
    )
    later = [DEMO_END_AT + dt.timedelta(hours=h, seconds=7) for h in (-6, 0, 6, 12)]
    state_db.build_state()
    assert_same_answers(state_db, [*check_instants(), *later])

    # an event up to the mark deleted: the whole state again
    state_db.execute(
        "delete from exp.events where id = (select min(id) from exp.events"
        " where event_type = 'generation' and received_at < %s)",
        (DEMO_END_AT - dt.timedelta(days=10),),
    )
    state_db.build_state()
    assert mark()[1] == built + 3 - 1
    rebuilt = state_db.state_rows()
    state_db.build_state("--full-refresh")
    assert state_db.state_rows() == rebuilt
    assert_same_answers(state_db, [*check_instants(), *later])
