"""Metabase's column formatting (`column_settings`) applied to values, for tables and numbers.

Keys are Metabase's `'["name","<column>"]'`. Honoured: `column_title`, `number_style`
(`decimal`, `percent`, `currency`, `scientific`), `decimals`, `currency`, `scale`, `prefix`,
`suffix`. Without `decimals`, numbers show at most 2 fraction digits and integers none, with
thousands separators, as Metabase does by default. Dates read "December 1, 2026".
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def column_settings(visualization_settings: dict[str, Any], column: str) -> dict[str, Any]:
    """The `column_settings` entry of one column (by name), or {}."""
    settings = visualization_settings.get("column_settings") or {}
    for key, value in settings.items():
        try:
            ref = json.loads(key)
        except ValueError:
            continue
        if isinstance(ref, list) and len(ref) == 2 and ref[0] == "name" and ref[1] == column:
            return dict(value or {})
    return {}


def humanize(column: str) -> str:
    """Metabase's default display name: `latency_p50_ms` -> "Latency P50 Ms"."""
    return " ".join(word.capitalize() for word in column.replace("-", "_").split("_") if word)


def column_title(visualization_settings: dict[str, Any], column: str) -> str:
    return column_settings(visualization_settings, column).get("column_title") or humanize(column)


def d3_format(settings: dict[str, Any]) -> str:
    """A d3-format string for chart axes and tooltips that matches `format_value`."""
    style = settings.get("number_style", "decimal")
    decimals = settings.get("decimals")
    if style == "percent":
        return f".{0 if decimals is None else decimals}%"
    if style == "scientific":
        return f".{2 if decimals is None else decimals}e"
    if style == "currency":
        return f"$,.{2 if decimals is None else decimals}f"
    return ",~r" if decimals is None else f",.{decimals}f"


def format_value(value: Any, settings: dict[str, Any]) -> str:
    """One value as Metabase would show it in a table cell or a number card."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _format_number(float(value) if isinstance(value, float) else value, settings)
    if isinstance(value, dt.datetime):
        return value.strftime("%B %-d, %Y, %-I:%M %p")
    if isinstance(value, dt.date):
        return value.strftime("%B %-d, %Y")
    return str(value)


def _format_number(value: int | float, settings: dict[str, Any]) -> str:
    style = settings.get("number_style", "decimal")
    decimals = settings.get("decimals")
    value = value * settings.get("scale", 1)
    if style == "percent":
        value = value * 100
    if style == "scientific":
        text = f"{value:.{2 if decimals is None else decimals}e}"
    elif decimals is not None:
        text = f"{value:,.{decimals}f}"
    elif style == "currency":
        text = f"{value:,.2f}"
    elif float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if style == "percent":
        text += "%"
    if style == "currency":
        symbol = CURRENCY_SYMBOLS.get(settings.get("currency", "USD"), settings.get("currency"))
        text = f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{settings.get('prefix', '')}{text}{settings.get('suffix', '')}"
