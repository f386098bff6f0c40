"""Metabase's native-query parameter substitution: one implementation for the whole project.

Used by the Metabase stand-in (`metabase_double`, when a card runs) and by the static preview
(`preview`, when a dashboard is rendered), so both fill filter values exactly alike.

Substitution follows Metabase's rules: `{{tag}}` raw values become literals (as bound
parameters); a field filter (`type: dimension`) becomes a condition on the real column
`"schema"."table"."column"` of its field (or on `alias` when the tag has one), and `1 = 1` when
it has no value; an optional clause `[[ ... ]]` is dropped when any tag inside has no value.
Date values follow Metabase's parameter grammar: `2024-01-01~2024-01-31`, `2024-01-01~`,
`~2024-01-31`, a single day, `2024-01`, `Q1-2024`, `thisweek`, `past30days`, `next2months~`.

The caller says how a field filter's `dimension` (a Metabase field reference) maps to a
column: the stand-in looks the field id up in its catalogue, the preview in the dbt manifest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TAG = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_RELATIVE = re.compile(r"^(past|next)(\d+)(day|week|month|quarter|year)s?(~)?$")
_THIS = re.compile(r"^this(day|week|month|quarter|year)$")
_DATE = r"\d{4}-\d{2}-\d{2}(?:T[\d:.]+)?"
_PARAMETER = re.compile(r"%(%|s)")


# Engines whose SQL quotes identifiers with backticks (Metabase's sparksql and databricks
# drivers; dbt's spark adapter); every other engine here (postgres) with double quotes.
BACKTICK_ENGINES = frozenset({"sparksql", "databricks", "spark"})


def qualified_column(parts: tuple[str, ...], engine: str) -> str:
    """`schema.table.column` quoted the way `engine` (a Metabase engine or a dbt adapter type)
    quotes identifiers, as Metabase renders a field filter's column."""
    quote = "`" if engine in BACKTICK_ENGINES else '"'
    return ".".join(quote + part.replace(quote, quote * 2) + quote for part in parts)


class QueryError(Exception):
    """The query cannot run; the message is what Metabase would put in `error`."""


@dataclass
class CompiledQuery:
    """SQL with `%s` parameter markers (psycopg2's, `%%` a literal percent) and their values."""

    sql: str
    params: list[Any] = field(default_factory=list)

    def positional_sql(self) -> str:
        """The SQL with `?` markers, as Spark's `spark.sql(sql, args=[...])` takes them."""
        return _PARAMETER.sub(lambda m: "%" if m.group(1) == "%" else "?", self.sql)


def _tag_for_target(target: Any, tags: dict[str, dict[str, Any]]) -> str | None:
    """["variable"|"dimension", ["template-tag", name | {"id": ..}]] -> the tag name."""
    if not isinstance(target, list) or len(target) < 2:
        return None
    ref = target[1]
    if not (isinstance(ref, list) and len(ref) == 2 and ref[0] == "template-tag"):
        return None
    if isinstance(ref[1], str):
        return ref[1]
    if isinstance(ref[1], dict):
        return next((n for n, t in tags.items() if t.get("id") == ref[1].get("id")), None)
    return None


def _has_value(value: Any) -> bool:
    return value is not None and value != [] and value != ""


def collect_values(
    tags: dict[str, dict[str, Any]], parameters: list[dict[str, Any]]
) -> dict[str, tuple[Any, str | None]]:
    """tag name -> (value, parameter type) from the request's parameters, then tag defaults."""
    values: dict[str, tuple[Any, str | None]] = {}
    for parameter in parameters or []:
        if not isinstance(parameter, dict):
            raise QueryError("Each parameter must be a map with a target and a value.")
        name = _tag_for_target(parameter.get("target"), tags)
        if name is None:
            name = next((n for n, t in tags.items() if t.get("id") == parameter.get("id")), None)
        if name is None or name not in tags:
            continue
        value = parameter.get("value", parameter.get("default"))
        if _has_value(value):
            values[name] = (value, parameter.get("type"))
    for name, tag in tags.items():
        if name not in values and _has_value(tag.get("default")):
            values[name] = (tag["default"], None)
    return values


def compile_native(
    sql: str,
    tags: dict[str, dict[str, Any]],
    parameters: list[dict[str, Any]],
    column_of: Callable[[Any], str | None],
) -> CompiledQuery:
    """Substitute `parameters` (Metabase's request shape) and tag defaults into `sql`.

    `column_of(dimension)` -> the qualified column a field filter's `dimension` stands for.
    """
    values = collect_values(tags, parameters)

    def keep_optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        names = _TAG.findall(inner)
        return inner if names and all(n in values for n in names) else ""

    sql = _OPTIONAL.sub(keep_optional, sql)
    parts: list[str] = []
    params: list[Any] = []
    last = 0
    for match in _TAG.finditer(sql):
        parts.append(sql[last : match.start()].replace("%", "%%"))
        last = match.end()
        name = match.group(1)
        tag = tags.get(name)
        if tag is None:
            raise QueryError(f"The query refers to {{{{{name}}}}}, which is not a template tag.")
        value, ptype = values.get(name, (None, None))
        if tag.get("type") == "dimension":
            if value is None:
                parts.append("1 = 1")
                continue
            column = tag.get("alias") or _column(tag, column_of)
            ptype = ptype or tag.get("widget-type") or "category"
            condition, condition_params = _field_filter(column, ptype, value, tag)
            parts.append(condition)
            params.extend(condition_params)
        elif tag.get("type") in ("text", "number", "date", "boolean"):
            if value is None:
                raise QueryError(
                    f"You'll need to pick a value for '{tag.get('display-name', name)}' "
                    "before this query can run."
                )
            literal, literal_params = _raw_value(tag, value)
            parts.append(literal)
            params.extend(literal_params)
        else:
            raise QueryError(f"Template tags of type {tag.get('type')!r} are not supported here.")
    parts.append(sql[last:].replace("%", "%%"))
    return CompiledQuery("".join(parts), params)


def _column(tag: dict[str, Any], column_of: Callable[[Any], str | None]) -> str:
    column = column_of(tag.get("dimension"))
    if column is None:
        raise QueryError(
            f"The field filter {tag.get('name')!r} points to {tag.get('dimension')!r}, "
            "which is not a known field."
        )
    return column


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise QueryError(f"{value!r} is not a number.")
    if isinstance(value, int | float):
        return value
    try:
        text = str(value)
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    except ValueError as exc:
        raise QueryError(f"{value!r} is not a number.") from exc


def _raw_value(tag: dict[str, Any], value: Any) -> tuple[str, list[Any]]:
    items = _as_list(value)
    ttype = tag["type"]
    if ttype == "number":
        numbers = [_number(v) for v in items]
        return ", ".join(["%s"] * len(numbers)), numbers
    if ttype == "date":
        dates = [_parse_date(str(v)) for v in items]
        return ", ".join(["cast(%s as date)"] * len(dates)), dates
    if ttype == "boolean":
        flags = [v if isinstance(v, bool) else str(v).lower() == "true" for v in items]
        return ", ".join(["%s"] * len(flags)), flags
    texts = [str(v) for v in items]
    return ", ".join(["%s"] * len(texts)), texts


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise QueryError(f"{text!r} is not a date (expected YYYY-MM-DD).") from exc


def _field_filter(
    column: str, ptype: str, value: Any, tag: dict[str, Any]
) -> tuple[str, list[Any]]:
    if ptype.startswith("date"):
        return _date_filter(column, str(_as_list(value)[0]))
    items = _as_list(value)
    if ptype.startswith("number"):
        items = [_number(v) for v in items]
    options = tag.get("options") or {}
    like = "like" if options.get("case-sensitive") else "ilike"
    marks = ", ".join(["%s"] * len(items))
    if ptype in ("string/!=", "number/!="):
        return f"({column} not in ({marks}) or {column} is null)", items
    if ptype in (
        "string/contains",
        "string/does-not-contain",
        "string/starts-with",
        "string/ends-with",
    ):
        pattern = {
            "string/contains": "%{}%",
            "string/does-not-contain": "%{}%",
            "string/starts-with": "{}%",
            "string/ends-with": "%{}",
        }[ptype]
        negate = "not " if ptype == "string/does-not-contain" else ""
        joiner = " and " if negate else " or "
        conditions = [f"{column} {negate}{like} %s" for _ in items]
        escaped = [pattern.format(str(v).replace("%", r"\%").replace("_", r"\_")) for v in items]
        return "(" + joiner.join(conditions) + ")", escaped
    if ptype == "number/between":
        if len(items) != 2:
            raise QueryError("number/between needs two values.")
        return f"{column} between %s and %s", items
    if ptype == "number/>=":
        return f"{column} >= %s", items[:1]
    if ptype == "number/<=":
        return f"{column} <= %s", items[:1]
    if len(items) == 1:
        return f"{column} = %s", items
    return f"{column} in ({marks})", items


def _date_filter(column: str, value: str) -> tuple[str, list[Any]]:
    target = f"cast({column} as date)"
    if match := re.fullmatch(rf"({_DATE})~({_DATE})", value):
        return f"{target} between %s and %s", [_parse_date(match[1]), _parse_date(match[2])]
    if match := re.fullmatch(rf"({_DATE})~", value):
        return f"{target} >= %s", [_parse_date(match[1])]
    if match := re.fullmatch(rf"~({_DATE})", value):
        return f"{target} <= %s", [_parse_date(match[1])]
    if re.fullmatch(_DATE, value):
        return f"{target} = %s", [_parse_date(value)]
    if match := re.fullmatch(r"(\d{4})-(\d{2})", value):
        first = dt.date(int(match[1]), int(match[2]), 1)
        return f"date_trunc('month', {target}) = %s", [first]
    if match := re.fullmatch(r"Q([1-4])-(\d{4})", value):
        first = dt.date(int(match[2]), 3 * int(match[1]) - 2, 1)
        return f"date_trunc('quarter', {target}) = %s", [first]
    if match := _THIS.fullmatch(value):
        unit = match[1]
        return f"date_trunc('{unit}', {target}) = date_trunc('{unit}', current_date)", []
    if match := _RELATIVE.fullmatch(value):
        direction, count, unit, include_current = match[1], int(match[2]), match[3], match[4]
        start_of = f"date_trunc('{unit}', current_date)"
        step = f"interval '1 {unit}'"
        if direction == "past":
            start = f"{start_of} - {count} * {step}"
            end = f"{start_of} + {step}" if include_current else start_of
        else:
            start = start_of if include_current else f"{start_of} + {step}"
            end = f"{start_of} + {count + 1} * {step}"
        return f"({target} >= ({start})::date and {target} < ({end})::date)", []
    raise QueryError(f"Don't know how to parse date parameter value {value!r}.")
