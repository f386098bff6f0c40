"""Load the demo data set into the `exp` source tables.

The small tables (policy versions, experiments, variants, offline evaluations) come from
`scenario.py`; assignments, events and metric aggregates are drawn inside PostgreSQL by the
set-based statements in `events.py`, one day at a time on two connections in parallel.

The data is "as of" `end_at`: an event whose received_at is after `end_at` has not arrived yet
and is not stored. `append_days` moves the end forward and stores what arrived meanwhile: the
new days' events and the late events of the days before.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg2.extras import execute_values

from experiment_analytics.demo_data import events as event_sql
from experiment_analytics.demo_data.plan import DAY, Plan, Slice, make_plan
from experiment_analytics.demo_data.scenario import (
    EXPERIMENTS,
    HISTORY_DAYS,
    POLICY_VERSIONS,
)
from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.warehouse import ConnectionSettings, connect, create_exp_sources
from experiment_analytics.warehouse.ownership import ensure_project_server
from experiment_analytics.warehouse.source_contract import SOURCE_TABLES

_logger = logging.getLogger(__name__)

MAX_SEED = 2**40
# Users' own activity (exp.unit_daily_activity) starts this long before the history, so the
# experiments that start early still have a pre-period (CUPED uses 14 days by default).
PRE_PERIOD = timedelta(days=14)
MAX_EVENTS = 200_000_000
WORKERS = 2


class DemoDataError(ExperimentAnalyticsError):
    """The demo data cannot be generated as asked."""


@dataclass(frozen=True)
class GenerationResult:
    events: int
    generations: int
    assignments: int
    metric_aggregates: int
    end_at: datetime
    seconds: float


def default_end_at(now: datetime | None = None) -> datetime:
    """Now, truncated to the hour (UTC): recent enough for freshness checks."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _validate(events: int, seed: int, end_at: datetime) -> None:
    if not 1000 <= events <= MAX_EVENTS:
        raise DemoDataError(f"--events must be between 1000 and {MAX_EVENTS:,}, got {events:,}")
    if not 0 <= seed < MAX_SEED:
        raise DemoDataError(f"--seed must be between 0 and {MAX_SEED - 1}, got {seed}")
    if end_at.tzinfo is None:
        raise DemoDataError("end_at must be timezone-aware (UTC)")


def _open(settings: ConnectionSettings):
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute("set timezone = 'UTC'")
    return conn


def _row_counts(conn) -> dict[str, int]:
    counts = {}
    with conn.cursor() as cur:
        for table in SOURCE_TABLES:
            cur.execute(f"select count(*) from (select 1 from exp.{table} limit 1) as t")
            counts[table] = cur.fetchone()[0]
    return counts


def generate(
    settings: ConnectionSettings,
    *,
    events: int,
    seed: int,
    end_at: datetime | None = None,
    replace: bool = False,
    allow_other_server: bool = False,
) -> GenerationResult:
    """Load about `events` events over the 30 days before `end_at` into exp (see module doc).

    Only on a server this project started, unless `allow_other_server` (ownership.py).
    """
    end_at = end_at or default_end_at()
    _validate(events, seed, end_at)
    ensure_project_server(
        settings,
        "load demo data" + (" (truncating exp first)" if replace else ""),
        allow_other_server=allow_other_server,
    )
    started = time.perf_counter()
    create_exp_sources(settings)
    plan = make_plan(events, end_at)
    conn = _open(settings)
    try:
        non_empty = [table for table, count in _row_counts(conn).items() if count]
        if non_empty and not replace:
            raise DemoDataError(
                f"exp already holds data in {settings.describe()} (tables: "
                f"{', '.join(non_empty)}). Rerun with --replace to truncate the exp tables first."
            )
        with conn.cursor() as cur:
            if non_empty:
                _logger.info("truncating the exp tables")
                cur.execute("truncate " + ", ".join(f"exp.{t}" for t in SOURCE_TABLES))
            _insert_dimensions(cur, plan, seed)
            _create_units(conn, plan, seed)
            cur.execute(event_sql.ASSIGNMENTS_SQL)
            assignments = cur.rowcount
            cur.execute(
                event_sql.UNIT_DAILY_ACTIVITY_SQL,
                {
                    **_common_params(plan, seed),
                    "first_day": (plan.history_start - PRE_PERIOD).date(),
                    "end_at": end_at,
                },
            )
            activity_rows = cur.rowcount
        _logger.info(
            "%s assignments of %s users; %s user-days of pre-period activity",
            f"{assignments:,}",
            f"{plan.user_pool:,}",
            f"{activity_rows:,}",
        )
        with _indexes_dropped(conn, "events"):
            inserted, generations = _draw_days(
                settings,
                plan,
                seed,
                range(HISTORY_DAYS),
                received_after=None,
                received_until=end_at,
            )
        # Statistics first: without them the planner joins outcomes to generations by
        # nested loops, and the aggregates take minutes instead of seconds.
        _analyze(conn)
        aggregates = _compute_aggregates(settings, plan.history_start, end_at, end_at)
        with conn.cursor() as cur:
            cur.execute("analyze exp.metric_aggregates")
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    _logger.info(
        "generated %s events (%s generations) in %.1f s",
        f"{inserted:,}",
        f"{generations:,}",
        seconds,
    )
    return GenerationResult(inserted, generations, assignments, aggregates, end_at, seconds)


def append_days(
    settings: ConnectionSettings,
    *,
    events: int,
    seed: int,
    end_at: datetime,
    days: int = 1,
    day_events: int | None = None,
    allow_other_server: bool = False,
) -> GenerationResult:
    """Move the end of a data set made by `generate(events, seed, end_at)` forward by `days`.

    Stores the new days' events and the late events of earlier days that arrived in between,
    and recomputes the metric aggregates of the days they touch. `day_events`: about this many
    events on each new day instead of the data set's own daily rate (events / 30 days); the
    late events of the earlier days are the same either way.
    """
    _validate(events, seed, end_at)
    ensure_project_server(settings, "append demo data", allow_other_server=allow_other_server)
    if days < 1:
        raise DemoDataError(f"--append-days must be at least 1, got {days}")
    if day_events is not None and day_events < 1:
        raise DemoDataError(f"--append-day-events must be at least 1, got {day_events}")
    started = time.perf_counter()
    plan = make_plan(events, end_at)
    if day_events is not None:
        plan = plan.with_appended_day_events(day_events)
    new_end = end_at + days * DAY
    conn = _open(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("select max(received_at) from exp.events")
            latest = cur.fetchone()[0]
        if latest is None or latest > end_at:
            raise DemoDataError(
                "append needs the data set generated with the same --events, --seed and "
                f"--end-at {end_at.isoformat()} and nothing appended yet; exp.events "
                + ("is empty" if latest is None else f"has events received up to {latest}")
            )
        # Late events arrive up to MAX_LATE_HOURS after they happen: redraw that far back.
        first_day = HISTORY_DAYS - 1 - event_sql.MAX_LATE_HOURS // 24 - 1
        inserted, generations = _draw_days(
            settings,
            plan,
            seed,
            range(max(0, first_day), HISTORY_DAYS + days),
            received_after=end_at,
            received_until=new_end,
        )
        # Buckets computed before the old end saw only what had arrived then, so they stay;
        # the open ones (computed at the old end) are recomputed with what arrived since.
        since = (end_at - timedelta(hours=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        with conn.cursor() as cur:
            cur.execute("delete from exp.metric_aggregates where bucket_start >= %s", (since,))
        _analyze(conn)
        aggregates = _compute_aggregates(settings, since, new_end, new_end)
        with conn.cursor() as cur:
            cur.execute("analyze exp.metric_aggregates")
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    _logger.info("appended %s events in %.1f s", f"{inserted:,}", seconds)
    return GenerationResult(inserted, generations, 0, aggregates, new_end, seconds)


@contextmanager
def _indexes_dropped(conn, table: str) -> Iterator[None]:
    """Bulk-load without the table's secondary indexes, then rebuild them as they were.

    Maintaining the occurred_at index row by row costs more than drawing the rows; one
    index build at the end costs a few percent of that. Constraint-backed indexes stay.
    """
    with conn.cursor() as cur:
        cur.execute(
            "select i.indexname, i.indexdef from pg_indexes as i"
            " where i.schemaname = 'exp' and i.tablename = %s and not exists ("
            "   select 1 from pg_constraint as c where c.conname = i.indexname)",
            (table,),
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'drop index exp."{name}"')
    try:
        yield
    finally:
        started = time.perf_counter()
        with conn.cursor() as cur:
            for _, definition in indexes:
                cur.execute(definition)
        _logger.info(
            "rebuilt %d index(es) of exp.%s in %.1f s",
            len(indexes),
            table,
            time.perf_counter() - started,
        )


def _common_params(plan: Plan, seed: int) -> dict:
    return {"seed": seed, "seed_base": seed * event_sql.SEED_STRIDE, "user_pool": plan.user_pool}


def _draw_days(
    settings: ConnectionSettings,
    plan: Plan,
    seed: int,
    days: range,
    *,
    received_after: datetime | None,
    received_until: datetime,
) -> tuple[int, int]:
    """Insert the events of `days`, one statement per day, WORKERS days at a time."""
    all_slices = plan.slices(days.start, days.stop - 1)
    by_day: dict[int, list[Slice]] = {}
    for slice_ in all_slices:
        by_day.setdefault(slice_.day_index, []).append(slice_)
    sql = event_sql.events_sql()
    common = {
        **_common_params(plan, seed),
        "received_after": received_after or datetime(1970, 1, 1, tzinfo=UTC),
        "received_until": received_until,
    }
    total_days = len(days)
    # Days finish out of order (WORKERS connections); progress is reported in calendar order:
    # a day is logged once it and every day before it are done.
    finished: dict[int, int] = {}
    progress = {"next": days.start, "days": 0, "events": 0}
    lock = threading.Lock()

    def report(day: int, inserted: int) -> None:
        finished[day] = inserted
        while progress["next"] < days.stop and (
            progress["next"] in finished or progress["next"] not in by_day
        ):
            current = progress["next"]
            progress["next"] += 1
            if current not in finished:
                continue  # a day without events
            day_events = finished.pop(current)
            progress["days"] += 1
            progress["events"] += day_events
            _logger.info(
                "day %d/%d (%s): %s events, %s in total",
                progress["days"],
                total_days,
                plan.day_start(current).date(),
                f"{day_events:,}",
                f"{progress['events']:,}",
            )

    def run_days(worker_days: list[int]) -> tuple[int, int]:
        conn = _open(settings)
        inserted_sum = generations_sum = 0
        try:
            _create_units(conn, plan, seed)
            for day in worker_days:
                slices = by_day.get(day, [])
                if not slices:
                    continue
                with conn.cursor() as cur:
                    cur.execute(sql, {**event_sql.slice_params(plan, slices), **common})
                    inserted = cur.rowcount
                inserted_sum += inserted
                generations_sum += sum(s.generation_count for s in slices)
                with lock:
                    report(day, inserted)
        finally:
            conn.close()
        return inserted_sum, generations_sum

    shares = [list(days)[worker::WORKERS] for worker in range(WORKERS)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(run_days, shares))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def _create_units(conn, plan: Plan, seed: int) -> None:
    with conn.cursor() as cur:
        cur.execute("drop table if exists pg_temp.demo_units")
        cur.execute(
            event_sql.UNITS_SQL, {**event_sql.unit_params(plan), **_common_params(plan, seed)}
        )
        cur.execute("analyze pg_temp.demo_units")


def _compute_aggregates(
    settings: ConnectionSettings, since: datetime, until: datetime, computed_until: datetime
) -> int:
    """Insert the metric aggregates of the UTC days from `since` to `until`, in parallel."""
    started = time.perf_counter()
    first = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    while first < until:
        days.append(first)
        first += DAY

    def run(worker_days: list[datetime]) -> int:
        conn = _open(settings)
        rows = 0
        try:
            with conn.cursor() as cur:
                # A day's rows are spread over the heap: bitmap scans read each page once,
                # plain index scans jump back and forth (40% more CPU, measured).
                cur.execute("set enable_indexscan = off")
                for day_start in worker_days:
                    cur.execute(
                        event_sql.METRIC_AGGREGATES_SQL,
                        {"day_start": day_start, "computed_until": computed_until},
                    )
                    rows += cur.rowcount
        finally:
            conn.close()
        return rows

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        rows = sum(pool.map(run, [days[worker::WORKERS] for worker in range(WORKERS)]))
    _logger.info(
        "metric_aggregates: %s rows for %d days in %.1f s",
        f"{rows:,}",
        len(days),
        time.perf_counter() - started,
    )
    return rows


def _analyze(conn) -> None:
    """Statistics for the planner; the event log is also vacuumed, as autovacuum would after a
    bulk insert, so its pages are all-visible and every build counts the events per day from
    the occurred_at index alone (an index-only scan)."""
    with conn.cursor() as cur:
        for table in SOURCE_TABLES:
            verb = "vacuum (analyze)" if table == "events" else "analyze"
            cur.execute(f"{verb} exp.{table}")


def _insert_dimensions(cur, plan: Plan, seed: int) -> None:
    start = plan.history_start
    execute_values(
        cur,
        "insert into exp.policy_versions"
        " (id, version, model_name, model_version, status, created_at) values %s",
        [
            (
                p.id,
                p.version,
                p.model_name,
                p.model.model_version,
                p.status,
                start - timedelta(days=p.created_days_before_history),
            )
            for p in POLICY_VERSIONS
        ],
    )
    experiment_rows = []
    variant_rows = []
    for experiment in EXPERIMENTS:
        window = plan.windows.get(experiment.id)
        started_at = window.started_at if window else None
        created_at = (started_at or plan.end_at - timedelta(days=2)) - timedelta(
            days=2, hours=experiment.id
        )
        ended_at = window.stopped_at if experiment.status == "completed" and window else None
        planned_end_at = (
            started_at + timedelta(days=experiment.planned_days)
            if started_at and experiment.planned_days is not None
            else None
        )
        experiment_rows.append(
            (
                experiment.id,
                experiment.name,
                experiment.description,
                experiment.hypothesis,
                experiment.status,
                experiment.primary_metric,
                started_at,
                ended_at,
                created_at,
                planned_end_at,
                experiment.planned_unit_count,
                experiment.target_relative_effect,
            )
        )
        for variant in experiment.variants:
            variant_rows.append(
                (
                    variant.id,
                    experiment.id,
                    variant.name,
                    variant.is_control,
                    variant.allocation,
                    variant.policy_version_id,
                    created_at,
                )
            )
    execute_values(
        cur,
        "insert into exp.experiments (id, name, description, hypothesis, status,"
        " primary_metric, started_at, ended_at, created_at, planned_end_at, planned_unit_count,"
        " target_relative_effect) values %s",
        experiment_rows,
    )
    execute_values(
        cur,
        "insert into exp.variants (id, experiment_id, name, is_control, allocation,"
        " policy_version_id, created_at) values %s",
        variant_rows,
    )
    execute_values(
        cur,
        "insert into exp.offline_evaluations (id, policy_version_id, evaluation_run_id,"
        " dataset_name, evaluated_at, alignment_score, constraint_respect_score,"
        " diversity_score, predicted_acceptance_rate, sample_count) values %s",
        _offline_evaluations(plan, seed),
    )


DATASETS = ("golden-completions-v3", "constraint-suite-v2", "multi-file-edits-v1")


def _offline_evaluations(plan: Plan, seed: int) -> list[tuple]:
    """Several runs per policy version. Predicted acceptance tracks the online truth only
    imperfectly: each version has its own offline bias plus run-to-run noise."""
    rng = random.Random(seed)
    rows = []
    next_id = 1
    for policy in POLICY_VERSIONS:
        online = policy.online_acceptance_rate
        created = plan.history_start - timedelta(days=policy.created_days_before_history)
        for run in range(3 + policy.id % 3):
            dataset = DATASETS[run % len(DATASETS)]
            rows.append(
                (
                    next_id,
                    policy.id,
                    f"run-{policy.version}-{run + 1:02d}",
                    dataset,
                    created - timedelta(days=3) + timedelta(hours=7 * run),
                    round(min(1.0, max(0.0, policy.alignment_mean + rng.gauss(0, 0.02))), 4),
                    round(
                        min(
                            1.0,
                            max(
                                0.0,
                                1 - 1.5 * policy.constraint_violation_rate + rng.gauss(0, 0.004),
                            ),
                        ),
                        4,
                    ),
                    round(min(1.0, max(0.0, policy.diversity_mean + rng.gauss(0, 0.02))), 4),
                    round(online + policy.offline_bias + rng.gauss(0, 0.01), 4),
                    rng.choice((500, 1000, 2000, 5000)),
                )
            )
            next_id += 1
    return rows
