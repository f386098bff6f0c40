"""The alerts: fresh data, one message per incident, evidence for low acceptance, stale analytics.

A tiny data set, with timestamps relative to now, on which every alert is quiet: one active
experiment, a control and two treatments with 100 units each, one generation per unit in the
last hour, 50% acceptance in every arm, every constraint respected, p99 latency 900 ms in the
last complete hour; plus one event that the build quarantines (negative latency, 3 days old)
and a few small simulated experiments (experiment_analytics.alerting.simulation) days in the
past for the low-acceptance alert.

Every alert question returns rows only at the check where its condition starts to hold, so a
Metabase alert that sends on "has results" sends one message per incident. The tests replay
checks at successive times (`experiment_analytics.alert_checked_at`, macros/alerting/
alert_clock.sql) over a scenario and count the checks that would send a message.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from experiment_analytics.alerting import simulation
from experiment_analytics.dbt import PROJECT_DIR, run_dbt
from experiment_analytics.warehouse import create_exp_sources

from .content import CompiledProject, Warehouse, compile_project, publisher_config

pytestmark = pytest.mark.slow

UNITS_PER_ARM = 100
ARMS = 3
ALERT_MODELS = [
    "+variants",
    "+experiments",
    "+v_experiment_metrics",
    "+event_quarantine_summary",
    "stg_dbt__build_history",
    # the low-acceptance alert's built state (it reads the events received since as its tail)
    "+alert_acceptance_state",
]
QUARANTINED_EVENT_ID = 999_999
ALERT_SQL_DIR = PROJECT_DIR / "analyses" / "metabase" / "alerts"
# The low-acceptance cross-check: small simulated experiments, half with a strong true drop.
SIMULATED_TRAFFIC = simulation.Traffic(days=3.0, units_per_arm_per_day=40)
SIMULATED_EFFECTS = (1.0, 1.0, 1.0, 0.5, 0.5, 0.6)
SIMULATION_SEED = 7
FIRST_SIMULATED_EXPERIMENT = 100


class AlertWarehouse(Warehouse):
    def __init__(self, settings, compiled: CompiledProject, target_path: Path) -> None:
        super().__init__(settings)
        self.compiled = compiled
        self.target_path = target_path

    def now(self) -> dt.datetime:
        return self.rows("select now() as now")[0]["now"]

    def alert_rows(self, key: str, at: dt.datetime | None = None) -> list[dict]:
        """The alert question's rows at a check at `at` (default: now)."""
        alert = next(item for item in publisher_config().alerts if item.key == key)
        self.execute(
            "select set_config('experiment_analytics.alert_checked_at', %s, false)",
            (at.isoformat() if at else "",),
        )
        try:
            return self.rows(self.compiled.sql[alert.query])
        finally:
            self.execute("select set_config('experiment_analytics.alert_checked_at', '', false)")

    def messages(
        self, key: str, start: dt.datetime, end: dt.datetime, every: dt.timedelta
    ) -> list[tuple[dt.datetime, list[dict]]]:
        """Replay the checks from `start` to `end` (a few seconds after each slot, as a
        scheduler fires): the checks that return rows, i.e. that send a message."""
        sent, at = [], start
        while at <= end:
            rows = self.alert_rows(key, at + dt.timedelta(seconds=7))
            if rows:
                sent.append((at, rows))
            at += every
        return sent

    def grid_point(self, step: str, ago: str) -> dt.datetime:
        return self.rows(
            "select date_bin(%s::interval, now() - %s::interval, timestamptz"
            " '2000-01-01 00:00:00+00') as at",
            (step, ago),
        )[0]["at"]


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
        -- a generation with a negative latency: the build quarantines it
        insert into exp.events values (%(bad)s, 'generation', 1, 1, 'u-0',
            '00000000-0000-0000-0009-000000999999', now() - interval '3 days',
            now() - interval '3 days' + interval '1 second', 1, -5.0, 100, 50, 1.0, 0.8, 0.5,
            null);
        """,
        {"arm": UNITS_PER_ARM, "arms": ARMS, "bad": QUARANTINED_EVENT_ID},
    )


def simulated_experiments() -> list[simulation.Experiment]:
    rng = np.random.default_rng(SIMULATION_SEED)
    return [
        simulation.simulate_experiment(rng, SIMULATED_TRAFFIC, effect)
        for effect in SIMULATED_EFFECTS
    ]


def load_simulated_experiments(db: Warehouse, start: dt.datetime) -> None:
    """Each simulated experiment as an active experiment of exp (control + one treatment):
    generation events received at their time, outcomes at theirs."""
    rows = []
    event_id = 10_000_000
    for index, experiment in enumerate(simulated_experiments()):
        experiment_id = FIRST_SIMULATED_EXPERIMENT + index
        db.execute(
            "insert into exp.experiments values (%s, %s, 'simulated', 'none', 'active',"
            " 'acceptance_rate', %s, null, %s)",
            (experiment_id, f"simulated-{index}", start, start),
        )
        for arm in (0, 1):
            db.execute(
                "insert into exp.variants values (%s, %s, %s, %s, 0.5, 1, %s)",
                (
                    10 * experiment_id + arm,
                    experiment_id,
                    ("control", "treatment")[arm],
                    arm == 0,
                    start,
                ),
            )
        for g in range(experiment.arm.size):
            variant_id = 10 * experiment_id + int(experiment.arm[g])
            unit = f"s{experiment_id}-{int(experiment.unit[g])}"
            request = f"00000000-0000-{experiment_id:04d}-0000-{g:012d}"
            generated = start + dt.timedelta(hours=float(experiment.generated_at[g]))
            outcome_at = start + dt.timedelta(hours=float(experiment.outcome_at[g]))
            outcome = "accepted" if experiment.accepted[g] else "rejected"
            rows.append(
                (
                    event_id,
                    "generation",
                    experiment_id,
                    variant_id,
                    unit,
                    request,
                    generated,
                    generated,
                    1,
                    500.0,
                    100,
                    50,
                    1.0,
                    0.8,
                    0.5,
                    None,
                )
            )
            rows.append(
                (
                    event_id + 1,
                    outcome,
                    experiment_id,
                    variant_id,
                    unit,
                    request,
                    outcome_at,
                    outcome_at,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
            )
            event_id += 2
    from psycopg2.extras import execute_values

    with db.conn.cursor() as cur:
        execute_values(cur, "insert into exp.events values %s", rows, page_size=5000)


@pytest.fixture(scope="module")
def alerts_db(new_database, tmp_path_factory) -> AlertWarehouse:
    settings = new_database("dashboards_alerts")
    create_exp_sources(settings)
    target_path = tmp_path_factory.mktemp("dbt_dashboards_alerts")
    db = AlertWarehouse(settings, CompiledProject({}, {}, {}, {}), target_path)
    load_healthy_data(db)
    db.simulation_start = db.grid_point("6 hours", "5 days")
    load_simulated_experiments(db, db.simulation_start)
    # The cost columns of `generations` (upstream of the whole-experiment marts) read the prices
    # seed, which `dbt run` does not load.
    run_dbt(["seed", "--quiet"], settings, target_path=target_path)
    run_dbt(["run", "--select", *ALERT_MODELS, "--quiet"], settings, target_path=target_path)
    db.compiled = compile_project(
        settings,
        target_path,
        "path:analyses/metabase/alerts path:analyses/dashboards/latency_and_cost",
    )
    yield db
    db.conn.close()


@pytest.fixture
def db(alerts_db: AlertWarehouse) -> AlertWarehouse:
    """The data set; whatever a test adds to exp.events/metric_aggregates is undone."""
    yield alerts_db
    alerts_db.execute("delete from exp.events where id between 1000000 and 9999999")
    alerts_db.execute("delete from exp.metric_aggregates where mean <> 900")
    alerts_db.execute("delete from analytics.dbt_build_history where command = 'scenario'")


LIVE_ALERTS = ["constraint_violation", "high_p99_latency", "low_acceptance", "no_events"]
ALL_ALERTS = [*LIVE_ALERTS, "stale_analytics", "quarantined_events"]


def test_every_alert_is_tested_here():
    assert sorted(alert.key for alert in publisher_config().alerts) == sorted(ALL_ALERTS)


@pytest.mark.parametrize("key", [*LIVE_ALERTS, "stale_analytics"])
def test_alert_is_quiet_on_healthy_data(db, key):
    assert db.alert_rows(key) == []


# ---- fresh data: a check reads what arrived up to its slot of the schedule ------------------
def schedule_step(cron: str) -> dt.timedelta:
    """The period of the Quartz crons the alerts use: `0 0/N * * * ?` (N minutes), `0 0 0/N *
    * ?` (N hours) or `0 0 H * * ?` (daily)."""
    seconds, minutes, hours, *_ = cron.split()
    assert seconds == "0", cron
    if minutes.startswith("0/"):
        return dt.timedelta(minutes=int(minutes[2:]))
    if hours.startswith("0/"):
        return dt.timedelta(hours=int(hours[2:]))
    assert hours.isdigit() and minutes == "0", cron
    return dt.timedelta(days=1)


def question_step(query: str) -> dt.timedelta | None:
    """The check grid the question reads its data on (`set step = 'N unit'`), if it has one."""
    text = (ALERT_SQL_DIR / f"{query}.sql").read_text()
    match = re.search(r"set step = '(\d+) (minutes|hours)'", text)
    if not match:
        return None
    return dt.timedelta(**{match.group(2): int(match.group(1))})


@pytest.mark.parametrize("key", [*LIVE_ALERTS, "stale_analytics"])
def test_each_question_reads_data_no_older_than_its_schedule(key):
    """A check at time t reads everything received up to its slot, t rounded down to the
    schedule's grid: at most one schedule period old, and the live questions read exp.* (through
    stg_exp__events or the exp views), not a mart that waits for the next dbt build."""
    alert = next(item for item in publisher_config().alerts if item.key == key)
    assert question_step(alert.query) == schedule_step(alert.schedule)
    text = (ALERT_SQL_DIR / f"{alert.query}.sql").read_text()
    if key in LIVE_ALERTS:
        assert "ref('stg_exp__events')" in text or "ref('v_experiment_metrics')" in text
        for mart in ("generations", "daily_request_metrics", "variant_daily_metrics"):
            assert f"ref('{mart}')" not in text, f"{key} reads the mart {mart}"


def test_the_quarantine_digest_is_daily():
    alert = next(item for item in publisher_config().alerts if item.key == "quarantined_events")
    assert schedule_step(alert.schedule) == dt.timedelta(days=1)


def insert_generation(db: Warehouse, event_id: int, score: float, received: dt.datetime) -> str:
    request_id = f"00000000-0000-0000-0001-{event_id:012d}"
    db.execute(
        """
        insert into exp.events (id, event_type, experiment_id, variant_id, unit_id, request_id,
            occurred_at, received_at, policy_version_id, latency_ms, prompt_tokens,
            completion_tokens, constraint_respect_score, alignment_score, diversity_score)
        values (%s, 'generation', 1, 2, 'u-150', %s, %s - interval '1 second', %s, 1, 500,
            100, 50, %s, 0.8, 0.5)
        """,
        (event_id, request_id, received, received, score),
    )
    return request_id


def test_a_violation_received_just_before_a_check_is_in_that_check(db):
    slot = db.grid_point("5 minutes", "30 minutes")
    request_id = insert_generation(db, 1_000_001, 0.9, slot - dt.timedelta(seconds=1))
    rows = db.alert_rows("constraint_violation", slot + dt.timedelta(seconds=20))
    assert [str(row["request_id"]) for row in rows] == [request_id]
    assert rows[0]["checked_up_to"] == slot
    # received one second after the slot: the next check's
    request_id = insert_generation(db, 1_000_002, 0.9, slot + dt.timedelta(minutes=20, seconds=1))
    assert db.alert_rows("constraint_violation", slot + dt.timedelta(minutes=20, seconds=20)) == []


# ---- one message per incident ---------------------------------------------------------------
def test_one_constraint_violation_burst_sends_one_message(db):
    start = db.grid_point("5 minutes", "8 hours")
    burst = [start + dt.timedelta(minutes=1 + 4 * i) for i in range(12)]  # 45 minutes of them
    first = insert_generation(db, 1_000_010, 0.5, burst[0])
    for i, received in enumerate(burst[1:]):
        insert_generation(db, 1_000_011 + i, 0.9, received)
    insert_generation(db, 1_000_100, 1.0, start + dt.timedelta(minutes=50))  # respected: fine
    sent = db.messages(
        "constraint_violation",
        start,
        start + dt.timedelta(hours=3),
        dt.timedelta(minutes=5),
    )
    assert len(sent) == 1  # 37 checks, 12 violations, one message
    at, rows = sent[0]
    assert at == start + dt.timedelta(minutes=5)
    assert [str(row["request_id"]) for row in rows] == [first]
    assert rows[0]["experiment_name"] == "alerting" and rows[0]["variant_name"] == "treatment_a"
    assert rows[0]["constraint_respect_score"] == pytest.approx(0.5)
    assert rows[0]["violations_in_window"] == 2  # received at +1 and +5 minutes


def test_a_violation_after_the_quiet_period_is_a_new_incident(db):
    start = db.grid_point("5 minutes", "8 hours")
    insert_generation(db, 1_000_020, 0.5, start + dt.timedelta(minutes=1))
    insert_generation(db, 1_000_021, 0.5, start + dt.timedelta(minutes=50))  # same incident
    late = insert_generation(db, 1_000_022, 0.5, start + dt.timedelta(minutes=112))  # 62 quiet
    sent = db.messages(
        "constraint_violation", start, start + dt.timedelta(hours=3), dt.timedelta(minutes=5)
    )
    assert [at - start for at, _ in sent] == [dt.timedelta(minutes=5), dt.timedelta(minutes=115)]
    assert [str(row["request_id"]) for row in sent[1][1]] == [late]


def test_constraint_violation_fires_on_a_late_event(db):
    # occurred 3 hours ago, but the platform only received it now: this check's news
    request_id = "00000000-0000-0000-0001-000001000004"
    db.execute(
        """
        insert into exp.events (id, event_type, experiment_id, variant_id, unit_id, request_id,
            occurred_at, received_at, policy_version_id, latency_ms, prompt_tokens,
            completion_tokens, constraint_respect_score, alignment_score, diversity_score)
        values (1000004, 'generation', 1, 1, 'u-1', %s, now() - interval '3 hours',
            now() - interval '1 minute', 1, 500, 100, 50, 0.5, 0.8, 0.5)
        """,
        (request_id,),
    )
    check = db.rows(
        "select date_bin('5 minutes', received_at - interval '1 microsecond',"
        " timestamptz '2000-01-01 00:00:00+00') + interval '5 minutes' as slot"
        " from exp.events where id = 1000004"
    )[0]["slot"]  # the first check slot that sees it
    rows = db.alert_rows("constraint_violation", check + dt.timedelta(seconds=5))
    assert [str(row["request_id"]) for row in rows] == [request_id]


def insert_p99(
    db: Warehouse, variant_id: int, bucket: dt.datetime, p99: float, computed: dt.datetime
) -> None:
    db.execute(
        "insert into exp.metric_aggregates values (%s, 'hourly', 1, %s, 'latency_p99', %s, 10,"
        " null, %s)",
        (bucket, variant_id, p99, computed),
    )


def test_three_slow_hours_send_one_latency_message(db):
    start = db.grid_point("1 hour", "12 hours")
    hour = dt.timedelta(hours=1)
    pattern = {0: 2500, 1: 2600, 2: 2400, 3: 900, 4: 2100, 5: 900, 6: 900}  # two incidents
    for h, p99 in pattern.items():
        computed = start + (h + 1) * hour + dt.timedelta(minutes=5)
        insert_p99(db, 2, start + h * hour, p99, computed)
        insert_p99(db, 3, start + h * hour, 2000, computed)  # at the threshold: not above it
    sent = db.messages("high_p99_latency", start, start + 8 * hour, dt.timedelta(minutes=15))
    # the first slow hour is seen at the first check after it was computed (+1h05 -> 1h15)
    assert [at - start for at, _ in sent] == [
        hour + dt.timedelta(minutes=15),
        5 * hour + dt.timedelta(minutes=15),
    ]
    assert [(row["variant_name"], row["latency_p99_ms"]) for row in sent[0][1]] == [
        ("treatment_a", 2500)
    ]


def test_a_slow_hour_right_after_another_is_the_same_incident(db):
    """Two consecutive slow hours whose aggregates arrive out of order (the later hour
    computed first): one incident, one message."""
    start = db.grid_point("1 hour", "12 hours")
    hour = dt.timedelta(hours=1)
    insert_p99(db, 2, start + hour, 2600, start + 2 * hour + dt.timedelta(minutes=5))
    insert_p99(db, 2, start, 2500, start + 2 * hour + dt.timedelta(minutes=20))
    sent = db.messages("high_p99_latency", start, start + 4 * hour, dt.timedelta(minutes=15))
    assert len(sent) == 1


def test_no_events_sends_one_message_when_the_feed_stops(db):
    """The healthy data's newest event was received minutes ago; replay the checks of the
    next three hours as if the feed stopped now: one message, at the check where the silence
    reaches an hour."""
    newest = db.rows("select max(received_at) as newest from exp.events")[0]["newest"]
    start = db.grid_point("15 minutes", "0 minutes")
    sent = db.messages("no_events", start, start + dt.timedelta(hours=3), dt.timedelta(minutes=15))
    assert len(sent) == 1
    at, rows = sent[0]
    assert newest + dt.timedelta(hours=1) <= at < newest + dt.timedelta(hours=1, minutes=15)
    assert rows[0]["last_event_at"] == newest
    assert rows[0]["minutes_without_events"] >= 60
    assert rows[0]["message"].startswith("No events received since ")


def test_no_events_after_events_resume_and_stop_again_is_a_new_incident(db):
    newest = db.rows("select max(received_at) as newest from exp.events")[0]["newest"]
    insert_generation(db, 1_000_030, 1.0, newest + dt.timedelta(hours=2))
    start = db.grid_point("15 minutes", "0 minutes")
    sent = db.messages("no_events", start, start + dt.timedelta(hours=5), dt.timedelta(minutes=15))
    assert len(sent) == 2
    assert sent[1][1][0]["last_event_at"] == newest + dt.timedelta(hours=2)


# ---- stale analytics ------------------------------------------------------------------------
def test_the_build_hook_records_each_dbt_invocation(db):
    """The fixture ran `dbt run --select <some models>`: recorded, and not complete."""
    rows = db.rows("select * from analytics.dbt_build_history where command = 'run'")
    assert len(rows) == 1
    row = rows[0]
    assert 0 < row["models_built"] < row["models_in_project"]
    assert row["nodes_failed"] == 0 and not row["is_complete_success"]
    assert row["started_at"] <= row["finished_at"] <= db.now()


def test_a_complete_build_is_recorded_as_one(card_warehouse):
    """The session's demo warehouse ran a whole `dbt build`: recorded as a complete success."""
    conn = Warehouse(card_warehouse)
    try:
        rows = conn.rows("select * from analytics.dbt_build_history where is_complete_success")
    finally:
        conn.conn.close()
    assert rows and all(row["models_built"] == row["models_in_project"] > 20 for row in rows)


def record_build(db: Warehouse, finished: dt.datetime, complete: bool, failed: int = 0) -> None:
    db.execute(
        "insert into analytics.dbt_build_history values (md5(random()::text), 'scenario',"
        " %s - interval '10 minutes', %s, 40, %s, %s, 0, %s)",
        (finished, finished, 40 if complete else 12, failed, complete),
    )


def test_stale_analytics_fires_once_when_the_builds_stop(db):
    start = db.grid_point("15 minutes", "20 hours")
    hour = dt.timedelta(hours=1)
    record_build(db, start + dt.timedelta(minutes=2), complete=True)
    # the scheduler keeps running but every build fails from then on
    for h in range(1, 6):
        record_build(db, start + h * hour, complete=False, failed=1)
    sent = db.messages("stale_analytics", start, start + 6 * hour, dt.timedelta(minutes=15))
    assert len(sent) == 1
    at, rows = sent[0]
    assert at == start + 3 * hour + dt.timedelta(minutes=15)  # first slot 3 h after +2 min
    row = rows[0]
    assert row["last_complete_build_at"] == start + dt.timedelta(minutes=2)
    assert row["last_invocation_nodes_failed"] == 1
    assert row["message"].startswith("No complete successful dbt build since ")


def test_stale_analytics_clears_with_a_complete_build_and_can_fire_again(db):
    start = db.grid_point("15 minutes", "20 hours")
    hour = dt.timedelta(hours=1)
    record_build(db, start + dt.timedelta(minutes=2), complete=True)
    record_build(db, start + 4 * hour, complete=True)
    sent = db.messages("stale_analytics", start, start + 9 * hour, dt.timedelta(minutes=15))
    assert [at - start for at, _ in sent] == [
        3 * hour + dt.timedelta(minutes=15),
        7 * hour,
    ]


# ---- low acceptance: evidence, not noise ----------------------------------------------------
def test_low_acceptance_decides_like_the_simulated_rule(db):
    """The SQL alert, replayed every 6 hours over the simulated experiments, sends exactly the
    messages the simulation's rule sends: so the simulation measures the alert itself."""
    checks = simulation.check_times(SIMULATED_TRAFFIC)
    expected = {
        (FIRST_SIMULATED_EXPERIMENT + index, float(at))
        for index, experiment in enumerate(simulated_experiments())
        for at in simulation.notifications(experiment, checks, simulation.Rule())
    }
    start = db.simulation_start
    sent = db.messages(
        "low_acceptance",
        start,
        start + dt.timedelta(hours=float(checks[-1]) + 12),
        dt.timedelta(hours=6),
    )
    seen = {
        (row["experiment_id"], (at - start).total_seconds() / 3600)
        for at, rows in sent
        for row in rows
    }
    assert seen == expected
    # the no-change experiments never alert; strong drops are found, one message each
    alerted = [experiment for experiment, _ in seen]
    assert len(alerted) == len(set(alerted)) >= 2
    assert not set(alerted) & {FIRST_SIMULATED_EXPERIMENT + i for i in range(3)}
    sample = next(row for _, rows in sent for row in rows)
    assert sample["treatment_acceptance_rate"] < sample["alert_threshold"]
    assert sample["difference_upper_bound"] < 0


def test_low_acceptance_description_states_the_measured_rates():
    alert = next(item for item in publisher_config().alerts if item.key == "low_acceptance")
    text = " ".join(alert.description.split())
    assert "@" not in text, "placeholders left in the description"
    false_alarm = re.search(r"false-alarm rate with no true change (\d+(?:\.\d+)?) %", text)
    assert false_alarm and float(false_alarm.group(1)) <= 5.0
    assert re.search(r"detected in (\d+(?:\.\d+)?) % of experiments", text)
    assert re.search(r"median of (\d+) hours", text)
    assert f"{simulation.EXPERIMENTS:,} simulated experiments" in text
    assert f"seed {simulation.SEED}" in text


# ---- quarantine -----------------------------------------------------------------------------
def test_quarantine_alert_and_card_report_the_quarantined_event(db):
    rows = db.alert_rows("quarantined_events")
    assert len(rows) == 1
    row = rows[0]
    assert row["experiment_name"] == "alerting"
    assert row["quarantined_event_count"] == 1
    assert row["sample_event_ids"] == str(QUARANTINED_EVENT_ID)
    assert "latency" in row["quarantine_rule"]
    card = db.rows(db.compiled.sql["latency_and_cost__quarantined_events"])
    assert card == [{k: v for k, v in row.items() if k != "experiment_id"}]
