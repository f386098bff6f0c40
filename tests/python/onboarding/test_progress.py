"""Visible progress: loading the demo data reports each day in calendar order (the days are
drawn on several connections at once and finish out of order)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime

from experiment_analytics.demo_data import generate
from experiment_analytics.warehouse import create_exp_sources

DAY_LINE = re.compile(r"day (\d+)/(\d+) \((\d{4}-\d{2}-\d{2})\): [\d,]+ events, ([\d,]+) in total")


def test_demo_data_progress_is_in_calendar_order(new_database, caplog):
    settings = new_database("progress")
    create_exp_sources(settings)
    caplog.set_level(logging.INFO, logger="experiment_analytics.demo_data.generator")
    result = generate(settings, events=6000, seed=7, end_at=datetime(2026, 3, 1, tzinfo=UTC))
    days = [DAY_LINE.search(r.getMessage()) for r in caplog.records]
    days = [m for m in days if m]
    assert len(days) >= 28
    numbers = [int(m.group(1)) for m in days]
    dates = [date.fromisoformat(m.group(3)) for m in days]
    totals = [int(m.group(4).replace(",", "")) for m in days]
    assert numbers == list(range(1, len(days) + 1))
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert totals == sorted(totals) and totals[-1] == result.events
