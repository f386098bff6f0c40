"""The alerts & schedules page: condition, current rows, would-it-fire, channels, schedules."""

from __future__ import annotations

import pytest
from dashboards.content import publisher_config

from experiment_analytics.metabase.spec import ScheduleSpec
from experiment_analytics.preview.schedules import cron_in_words, schedule_in_words

from .dom import parse
from .expected import query_rows

CONFIG = publisher_config()


@pytest.mark.parametrize("alert", CONFIG.alerts, ids=lambda a: a.key)
def test_each_alert_states_condition_rows_verdict_channels_and_schedule(
    preview, preview_warehouse, project, alert
):
    page = parse(preview.alerts_page.read_text())
    section = page.find("section", cls="alert", data_alert_key=alert.key)
    _, rows = query_rows(preview_warehouse, project.analyses[alert.query].compiled_sql)
    assert section.attrs["data-fires"] == ("yes" if rows else "no")
    assert int(section.attrs["data-row-count"]) == len(rows)
    verdict = section.find(cls="verdict").text()
    assert verdict == ("would fire now" if rows else "would not fire now")
    if rows:
        assert len(section.find("tbody").find_all("tr")) == len(rows)
        assert [th.attrs["data-column"] for th in section.find_all("th")] == list(rows[0])
    assert (
        section.find("dd", cls="condition").text().startswith("When the question returns any rows")
    )
    schedule = section.find("dd", cls="schedule").text()
    assert schedule.startswith(cron_in_words(alert.schedule))
    assert alert.schedule in schedule
    channels = section.find("dd", cls="channels").text()
    for key in alert.channels:
        channel = CONFIG.channels[key]
        shown = channel.channel if channel.type == "slack" else channel.recipients[0]
        # placeholders as the publisher expands them: ${VAR:-default} -> default
        assert shown.split(":-")[-1].rstrip("}") in channels


def test_cron_in_words():
    assert cron_in_words("0 0/5 * * * ?") == "Every 5 minutes"
    assert cron_in_words("0 0 0/6 * * ?") == "Every 6 hours"
    assert cron_in_words("0 30 9 ? * MON-FRI") == "At 09:30, Monday through Friday"


def test_subscription_schedules_in_words():
    weekly = ScheduleSpec(type="weekly", hour=9, day="mon")
    assert schedule_in_words(weekly) == "Every Monday at 09:00"
    assert schedule_in_words(ScheduleSpec(type="daily", hour=8)) == "Every day at 08:00"
    assert schedule_in_words(ScheduleSpec(type="hourly")) == "Every hour"
    assert (
        schedule_in_words(ScheduleSpec(type="monthly", hour=7, day="fri"))
        == "Monthly, on the first Friday at 07:00"
    )


@pytest.mark.parametrize("subscription", CONFIG.subscriptions, ids=lambda s: s.key)
def test_each_subscription_states_dashboard_schedule_and_recipients(preview, subscription):
    page = parse(preview.alerts_page.read_text())
    section = page.find("section", cls="subscription", data_subscription_key=subscription.key)
    assert section.find("a").attrs["href"] == f"{subscription.dashboard}.html"
    assert section.find("dd", cls="schedule").text() == schedule_in_words(subscription.schedule)
    for key in subscription.channels:
        recipient = CONFIG.channels[key].recipients[0].split(":-")[-1].rstrip("}")
        assert f"email to {recipient}" in section.find("dd", cls="channels").text()
