"""Metabase's column formatting as the preview applies it."""

from __future__ import annotations

import datetime as dt

from experiment_analytics.preview.formatting import column_title, d3_format, format_value

SETTINGS = {"column_settings": {'["name","rate"]': {"column_title": "Rate"}}}


def test_numbers():
    assert format_value(0.12345, {"number_style": "percent"}) == "12.35%"
    assert format_value(0.5, {"number_style": "percent", "decimals": 0}) == "50%"
    assert format_value(1234.5, {"number_style": "currency", "decimals": 2}) == "$1,234.50"
    assert format_value(-3.0, {"number_style": "currency"}) == "-$3.00"
    assert format_value(1234567, {}) == "1,234,567"
    assert format_value(2.5, {}) == "2.5"
    assert format_value(2.0, {}) == "2"
    assert format_value(1.23456, {"decimals": 2}) == "1.23"
    assert format_value(812.6, {"decimals": 0}) == "813"
    assert format_value(None, {}) == ""
    assert format_value(True, {}) == "true"


def test_dates_and_titles():
    assert format_value(dt.date(2026, 12, 1), {}) == "December 1, 2026"
    assert column_title(SETTINGS, "rate") == "Rate"
    assert column_title(SETTINGS, "latency_p50_ms") == "Latency P50 Ms"


def test_axis_formats_match_cell_formats():
    assert d3_format({"number_style": "percent"}) == ".0%"
    assert d3_format({"number_style": "percent", "decimals": 1}) == ".1%"
    assert d3_format({"decimals": 2}) == ",.2f"
