"""Schedules in plain words: alerts' Quartz cron (via cron-descriptor) and subscriptions'.

Times are in the Metabase instance's report time zone, as Metabase runs them.
"""

from __future__ import annotations

from cron_descriptor import Options, get_description

from experiment_analytics.metabase.spec import ScheduleSpec

_DAYS = {
    "sun": "Sunday",
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
}


def cron_in_words(expression: str) -> str:
    """'0 0/5 * * * ?' -> 'Every 5 minutes' (Quartz: seconds first, '?' allowed)."""
    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    return get_description(expression, options)


def schedule_in_words(schedule: ScheduleSpec) -> str:
    """A dashboard subscription's schedule as Metabase's subscription editor states it."""
    at = f" at {schedule.hour:02d}:00" if schedule.hour is not None else ""
    if schedule.type == "hourly":
        return "Every hour"
    if schedule.type == "daily":
        return f"Every day{at}"
    if schedule.type == "weekly":
        return f"Every {_DAYS.get(schedule.day or '', schedule.day)}{at}"
    if schedule.type == "monthly":
        if schedule.day:
            return f"Monthly, on the first {_DAYS.get(schedule.day, schedule.day)}{at}"
        return f"Monthly, on the first day of the month{at}"
    return schedule.type
