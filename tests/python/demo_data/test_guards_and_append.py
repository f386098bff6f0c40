"""The --replace guard, clear CLI errors, and appending days after the end."""

from __future__ import annotations

import pytest
from demo_data_params import END_AT

from experiment_analytics.cli import main
from experiment_analytics.demo_data import DemoDataError, append_days, generate

SMALL = 20_000


@pytest.fixture(scope="module")
def appended(make_demo):
    """A small data set, then one more day appended to it."""
    sql = make_demo(events=SMALL, seed=3, end_at=END_AT)
    before = sql.scalar("select count(*) from exp.events")
    result = append_days(sql.settings, events=SMALL, seed=3, end_at=END_AT, days=1)
    return sql, before, result


def test_generate_refuses_to_write_over_data_without_replace(appended):
    sql, _, _ = appended
    with pytest.raises(DemoDataError, match="--replace"):
        generate(sql.settings, events=SMALL, seed=3, end_at=END_AT)


def test_replace_truncates_first(make_demo):
    sql = make_demo(events=5_000, seed=11, end_at=END_AT)
    first = sql("select count(*), max(id) from exp.events")
    generate(sql.settings, events=5_000, seed=11, end_at=END_AT, replace=True)
    assert sql("select count(*), max(id) from exp.events") == first
    assert sql.scalar("select count(*) from exp.experiments") == 9


def test_append_adds_the_next_day_and_the_late_events_of_earlier_days(appended):
    sql, before, result = appended
    assert sql.scalar("select count(*) from exp.events") == before + result.events
    new_day, late_earlier, after_end, duplicates = sql(
        "select count(*) filter (where occurred_at >= %(end)s),"
        " count(*) filter (where occurred_at < %(end)s and received_at > %(end)s),"
        " count(*) filter (where received_at > %(end)s + interval '1 day'),"
        " count(*) - count(distinct id)"
        " from exp.events",
        {"end": END_AT},
    )[0]
    assert new_day > 500 and late_earlier > 0 and after_end == 0 and duplicates == 0
    assert (
        sql.scalar(
            "select count(*) from exp.events as o left join exp.events as g"
            " on g.request_id = o.request_id and g.event_type = 'generation'"
            " where o.event_type <> 'generation' and g.id is null"
        )
        == 0
    )
    assert (
        sql.scalar("select count(*) from exp.metric_aggregates where bucket_start >= %s", (END_AT,))
        > 0
    )


def test_append_twice_over_the_same_end_is_refused(appended):
    sql, _, _ = appended
    with pytest.raises(DemoDataError, match="nothing appended yet"):
        append_days(sql.settings, events=SMALL, seed=3, end_at=END_AT, days=1)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--events", "-5"], "--events must be between"),
        (["--events", "0"], "--events must be between"),
        (["--seed", "-1"], "--seed must be between"),
        (["--end-at", "yesterday"], "--end-at must be an ISO 8601 timestamp"),
        (["--append-days", "1"], "--append-days needs the --end-at"),
        (["--append-day-events", "5000"], "--append-day-events goes with --append-days"),
    ],
)
def test_cli_rejects_bad_input_with_a_clear_message(argv, message, capsys, monkeypatch):
    # Point at a port where nothing listens: validation must fail before any connection.
    monkeypatch.setenv("PGPORT", "1")
    assert main(["demo", "generate", *argv]) == 1
    assert message in capsys.readouterr().err


def test_cli_rejects_non_integer_events(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "generate", "--events", "many"])
    assert "invalid int value" in capsys.readouterr().err


def test_cli_loads_a_data_set(new_database, capsys, monkeypatch):
    settings = new_database("cli")
    for key, value in settings.as_env().items():
        monkeypatch.setenv(key, value)
    assert (
        main(
            [
                "demo",
                "generate",
                "--events",
                "3000",
                "--seed",
                "5",
                "--end-at",
                "2026-11-20T12:00:00+00:00",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "loaded" in out and "ending 2026-11-20 12:00Z" in out


def test_append_of_a_fixed_size_day_keeps_the_late_events_of_earlier_days(appended, make_demo):
    """--append-day-events: the new day holds about that many events (here a quarter of the
    data set's own day), and the late events of the earlier days are the same rows as with
    the data set's own rate (the benchmark appends one day size to histories of any size)."""
    sql, _, _ = appended
    own_day = sql.scalar("select count(*) from exp.events where occurred_at >= %s", (END_AT,))
    small = make_demo(events=SMALL, seed=3, end_at=END_AT)
    result = append_days(
        small.settings, events=SMALL, seed=3, end_at=END_AT, days=1, day_events=own_day // 4
    )
    new_day = small.scalar("select count(*) from exp.events where occurred_at >= %s", (END_AT,))
    assert result.events > new_day and new_day == pytest.approx(own_day / 4, rel=0.15)
    earlier = (
        "select id, request_id, event_type, occurred_at, received_at from exp.events"
        " where occurred_at < %s order by id"
    )
    assert small(earlier, (END_AT,)) == sql(earlier, (END_AT,))
    with pytest.raises(DemoDataError, match="at least 1"):
        append_days(small.settings, events=SMALL, seed=3, end_at=END_AT, days=1, day_events=0)
