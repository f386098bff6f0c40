"""The alerts fire exactly when their condition holds.

A tiny data set, with timestamps relative to now, on which every alert is quiet: one active
experiment, a control and two treatments with 100 units each, one generation per unit in the
last hour, 50% acceptance in every arm, every constraint respected, p99 latency 900 ms in the
last complete hour. Each test then makes one condition true (or nearly true) and checks the
alert's rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import create_exp_sources

from .content import CompiledProject, Warehouse, compile_project, publisher_config

pytestmark = pytest.mark.slow

UNITS_PER_ARM = 100
TREATMENTS = (2, 3)  # variant ids; variant 1 is the control
ARMS = 1 + len(TREATMENTS)
GENERATIONS_AND_ITS_BATCH = ["int_event_log_days", "int_events_checked", "generations"]
ALERT_MODELS = ["+variants", "+experiments", "+generations", "+v_experiment_metrics"]


class AlertWarehouse(Warehouse):
    def __init__(self, settings, compiled: CompiledProject, target_path: Path) -> None:
        super().__init__(settings)
        self.compiled = compiled
        self.target_path = target_path
        self.accepted = dict.fromkeys(TREATMENTS, UNITS_PER_ARM // 2)

    def alert_rows(self, key: str) -> list[dict]:
        alert = next(item for item in publisher_config().alerts if item.key == key)
        return self.rows(self.compiled.sql[alert.query])

    def rebuild_generations(self) -> None:
        run_dbt(
            # the checked batch of events first, then the mart that reads it
            ["run", "--select", *GENERATIONS_AND_ITS_BATCH, "--full-refresh", "--quiet"],
            self.settings,
            target_path=self.target_path,
        )

    def set_accepted(self, accepted: dict[int, int]) -> None:
        """Per treatment variant id: its first N units accept, the others reject; rebuild."""
        if accepted == self.accepted:
            return
        for variant_id, count in accepted.items():
            self.execute(
                """
                update exp.events
                set event_type = case
                    when substr(unit_id, 3)::integer %% %(arm)s < %(accepted)s then 'accepted'
                    else 'rejected'
                end
                where variant_id = %(variant_id)s and event_type <> 'generation'
                """,
                {"arm": UNITS_PER_ARM, "accepted": count, "variant_id": variant_id},
            )
        self.rebuild_generations()
        self.accepted = dict(accepted)


def load_healthy_data(db: Warehouse) -> None:
    db.execute(
        """
        insert into exp.policy_versions values (1, 'pv-1', 'orion-8b', '8b', 'active',
            now() - interval '30 days');
        insert into exp.experiments values (1, 'alerting', 'alert tests', 'none', 'active',
            'acceptance_rate', now() - interval '2 days', null, now() - interval '3 days');
        insert into exp.variants values
            (1, 1, 'control', true, 0.5, 1, now() - interval '3 days'),
            (2, 1, 'treatment_a', false, 0.333333, 1, now() - interval '3 days'),
            (3, 1, 'treatment_b', false, 0.333334, 1, now() - interval '3 days');
        insert into exp.assignments
        select 1, 1 + i / %(arm)s, 'u-' || i, now() - interval '2 days'
        from generate_series(0, %(arms)s * %(arm)s - 1) as i;
        -- one generation per unit in the last hour, then an outcome: 50%% accepted per arm
        insert into exp.events
        select
            2 * i + kind, case when kind = 0 then 'generation'
                when i %% %(arm)s < %(arm)s / 2 then 'accepted' else 'rejected' end,
            1, 1 + i / %(arm)s, 'u-' || i,
            ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid,
            now() - make_interval(mins => 2 + i %% 50) + make_interval(secs => 30 * kind),
            now() - make_interval(mins => 2 + i %% 50) + make_interval(secs => 30 * kind + 1),
            case when kind = 0 then 1 end, case when kind = 0 then 500.0 end,
            case when kind = 0 then 100 end, case when kind = 0 then 50 end,
            case when kind = 0 then 1.0 end, case when kind = 0 then 0.8 end,
            case when kind = 0 then 0.5 end, null
        from generate_series(0, %(arms)s * %(arm)s - 1) as i
        cross join (values (0), (1)) as kinds (kind);
        insert into exp.metric_aggregates
        select date_trunc('hour', now()) - interval '1 hour', 'hourly', 1, variant_id,
            'latency_p99', 900, %(arm)s, null, now()
        from (values (1), (2), (3)) as variants (variant_id);
        """,
        {"arm": UNITS_PER_ARM, "arms": ARMS},
    )


@pytest.fixture(scope="module")
def alerts_db(new_database, tmp_path_factory) -> AlertWarehouse:
    settings = new_database("dashboards_alerts")
    create_exp_sources(settings)
    target_path = tmp_path_factory.mktemp("dbt_dashboards_alerts")
    db = Warehouse(settings)
    load_healthy_data(db)
    db.conn.close()
    run_dbt(["run", "--select", *ALERT_MODELS, "--quiet"], settings, target_path=target_path)
    compiled = compile_project(settings, target_path, "path:analyses/metabase/alerts")
    warehouse = AlertWarehouse(settings, compiled, target_path)
    yield warehouse
    warehouse.conn.close()


@pytest.fixture
def db(alerts_db: AlertWarehouse) -> AlertWarehouse:
    """The data set; whatever a test adds to exp.events/metric_aggregates is undone."""
    yield alerts_db
    alerts_db.execute("delete from exp.events where id >= 1000000")
    alerts_db.execute("delete from exp.metric_aggregates where mean <> 900")


@pytest.mark.parametrize(
    "key", ["constraint_violation", "high_p99_latency", "low_acceptance", "no_events"]
)
def test_alert_is_quiet_on_healthy_data(db, key):
    db.set_accepted(dict.fromkeys(TREATMENTS, UNITS_PER_ARM // 2))
    assert db.alert_rows(key) == []


def insert_generation(db: Warehouse, event_id: int, score: float, age: str) -> str:
    request_id = f"00000000-0000-0000-0001-{event_id:012d}"
    db.execute(
        """
        insert into exp.events (id, event_type, experiment_id, variant_id, unit_id, request_id,
            occurred_at, received_at, policy_version_id, latency_ms, prompt_tokens,
            completion_tokens, constraint_respect_score, alignment_score, diversity_score)
        values (%s, 'generation', 1, 2, 'u-150', %s, now() - %s::interval,
            now() - %s::interval + interval '1 second', 1, 500, 100, 50, %s, 0.8, 0.5)
        """,
        (event_id, request_id, age, age, score),
    )
    return request_id


def test_constraint_violation_fires_on_a_violation_received_in_the_last_hour(db):
    insert_generation(db, 1_000_001, 0.75, "3 hours")  # too old: not this hour's problem
    insert_generation(db, 1_000_002, 1.0, "5 minutes")  # respected: fine
    assert db.alert_rows("constraint_violation") == []
    request_id = insert_generation(db, 1_000_003, 0.99, "5 minutes")
    rows = db.alert_rows("constraint_violation")
    assert [str(row["request_id"]) for row in rows] == [request_id]
    assert rows[0]["experiment_name"] == "alerting" and rows[0]["variant_name"] == "treatment_a"
    assert rows[0]["constraint_respect_score"] == pytest.approx(0.99)


def test_constraint_violation_fires_on_a_late_event(db):
    # occurred 3 hours ago, but the platform only received it now
    request_id = "00000000-0000-0000-0001-000001000004"
    db.execute(
        """
        insert into exp.events (id, event_type, experiment_id, variant_id, unit_id, request_id,
            occurred_at, received_at, policy_version_id, latency_ms, prompt_tokens,
            completion_tokens, constraint_respect_score, alignment_score, diversity_score)
        values (1000004, 'generation', 1, 1, 'u-1', %s, now() - interval '3 hours', now(),
            1, 500, 100, 50, 0.5, 0.8, 0.5)
        """,
        (request_id,),
    )
    assert [str(row["request_id"]) for row in db.alert_rows("constraint_violation")] == [request_id]


def insert_p99(db: Warehouse, variant_id: int, hours_ago: int, p99: float) -> None:
    db.execute(
        """
        insert into exp.metric_aggregates values (date_trunc('hour', now()) - %s * interval
            '1 hour', 'hourly', 1, %s, 'latency_p99', %s, 10, null, now())
        """,
        (hours_ago, variant_id, p99),
    )


def test_high_latency_fires_on_the_newest_hourly_p99_above_2000_ms(db):
    insert_p99(db, 2, 3, 5000)  # stale bucket: ignored
    insert_p99(db, 1, 0, 2000)  # exactly at the threshold: not above it
    assert db.alert_rows("high_p99_latency") == []
    insert_p99(db, 2, 0, 2001)
    rows = db.alert_rows("high_p99_latency")
    assert [(row["variant_name"], row["latency_p99_ms"]) for row in rows] == [("treatment_a", 2001)]


def test_high_latency_uses_the_newest_bucket_only(db):
    insert_p99(db, 1, 0, 2500)
    assert [row["variant_name"] for row in db.alert_rows("high_p99_latency")] == ["control"]
    db.execute("delete from exp.metric_aggregates where mean = 2500")
    # a high p99 in the previous hour, recovered this hour: quiet
    db.execute("update exp.metric_aggregates set mean = 2500 where variant_id = 1 and mean = 900")
    insert_p99(db, 1, 0, 800)
    try:
        assert db.alert_rows("high_p99_latency") == []
    finally:
        db.execute("update exp.metric_aggregates set mean = 900 where mean = 2500")


def test_no_events_fires_after_an_hour_of_silence(db):
    db.execute(
        "update exp.events set occurred_at = occurred_at - interval '2 hours',"
        " received_at = received_at - interval '2 hours'"
    )
    try:
        newest = db.rows("select max(occurred_at) as newest from exp.events")[0]["newest"]
        rows = db.alert_rows("no_events")
        assert len(rows) == 1
        assert rows[0]["last_event_at"] == newest
        assert rows[0]["minutes_without_events"] >= 120
        assert rows[0]["message"].startswith("No events since ")
    finally:
        db.execute(
            "update exp.events set occurred_at = occurred_at + interval '2 hours',"
            " received_at = received_at + interval '2 hours'"
        )
    assert db.alert_rows("no_events") == []


def test_no_events_fires_when_there_are_no_events_at_all(db):
    db.execute("create temporary table saved_events as select * from exp.events")
    db.execute("delete from exp.events")
    try:
        rows = db.alert_rows("no_events")
        assert len(rows) == 1 and rows[0]["last_event_at"] is None
    finally:
        db.execute("insert into exp.events select * from saved_events")
        db.execute("drop table saved_events")


def test_low_acceptance_fires_below_90_percent_of_the_control_rate(db):
    # control 50/100 = 0.50, so the threshold is 0.45: treatment_a at 0.45 is fine (not below),
    # treatment_b at 0.44 is below. One rebuild of `generations` from the changed events.
    db.set_accepted({2: 45, 3: 44})
    rows = db.alert_rows("low_acceptance")
    assert [row["treatment_variant_name"] for row in rows] == ["treatment_b"]
    row = rows[0]
    assert float(row["treatment_acceptance_rate"]) == pytest.approx(0.44)
    assert float(row["control_acceptance_rate"]) == pytest.approx(0.50)
    assert float(row["alert_threshold"]) == pytest.approx(0.45)
    assert row["treatment_generation_count"] == row["control_generation_count"] == 100


def test_healthy_data_is_really_in_the_last_hour(db):
    """Guards the fixture: the quiet alerts above are quiet on recent, live-looking data."""
    ages = db.rows(
        "select now() - max(occurred_at) as newest_age, now() - min(occurred_at) as oldest_age"
        " from exp.events"
    )[0]
    assert ages["newest_age"] < dt.timedelta(minutes=5)
    assert ages["oldest_age"] < dt.timedelta(hours=1)
