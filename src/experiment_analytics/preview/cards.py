"""From specs to rows: each card's compiled SQL, filter values substituted, run on the warehouse.

The template tags are built by the publisher's own `payloads.field_filter_tag`, the parameters
in the shape a Metabase dashboard sends, and the substitution is `native_query.compile_native`
(the same code the Metabase stand-in runs), so the preview runs what Metabase would run.
Field filters need a column for a field: where Metabase looks up its field id, the preview
numbers each `{model, column}` of the specs and resolves it through the dbt manifest.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from dataclasses import dataclass
from typing import Any

from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.metabase import payloads
from experiment_analytics.metabase.project import ProjectInfo
from experiment_analytics.metabase.spec import CardSpec, DashboardSpec, FieldRef
from experiment_analytics.metabase.validate import template_tags
from experiment_analytics.native_query import (
    CompiledQuery,
    QueryError,
    compile_native,
    qualified_column,
)

_logger = logging.getLogger(__name__)

# Metabase shows at most 2000 rows of a dashboard card's query.
MAX_ROWS = 2000
STATEMENT_TIMEOUT_MS = 60_000


class PreviewError(ExperimentAnalyticsError):
    """The preview cannot be made (bad filter value, missing browser, ...)."""


@dataclass(frozen=True)
class FilterValue:
    """The value one dashboard filter was rendered with, and where it came from."""

    id: str
    name: str
    type: str
    value: Any  # what Metabase would send: a list for string/number filters, a string for dates
    source: str  # "command line", "dashboard default" or "not set"

    @property
    def is_set(self) -> bool:
        return self.value not in (None, "", [])

    def describe(self) -> str:
        if not self.is_set:
            return "not set (all values)"
        shown = ", ".join(map(str, self.value)) if isinstance(self.value, list) else self.value
        return f"{shown} ({self.source})"


@dataclass(frozen=True)
class CardResult:
    card: CardSpec | None  # None for an alert's question
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    sql: str  # as run, values filled in
    error: str | None = None
    truncated: bool = False

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def filter_values(spec: DashboardSpec, requested: dict[str, str]) -> list[FilterValue]:
    """Each dashboard filter's value: from the command line, else the dashboard's default."""
    values = []
    for dashboard_filter in spec.filters:
        if dashboard_filter.id in requested:
            raw: Any = requested[dashboard_filter.id]
            if not dashboard_filter.type.startswith("date"):
                raw = [raw]
            values.append(
                FilterValue(
                    dashboard_filter.id,
                    dashboard_filter.name,
                    dashboard_filter.type,
                    raw,
                    "command line",
                )
            )
        else:
            default = dashboard_filter.default
            values.append(
                FilterValue(
                    dashboard_filter.id,
                    dashboard_filter.name,
                    dashboard_filter.type,
                    default,
                    "dashboard default" if default not in (None, "", []) else "not set",
                )
            )
    return values


class FieldColumns:
    """Stand-in field ids for `{model, column}` references, resolved to qualified columns."""

    def __init__(self, project: ProjectInfo):
        self.project = project
        self.ids: dict[FieldRef, int] = {}

    def field_id(self, ref: FieldRef) -> int:
        return self.ids.setdefault(ref, len(self.ids) + 1)

    def column_of(self, dimension: Any) -> str | None:
        if not (isinstance(dimension, list) and len(dimension) >= 2 and dimension[0] == "field"):
            return None
        ref = next((r for r, i in self.ids.items() if i == dimension[1]), None)
        model = ref and self.project.models.get(ref.model)
        if model is None:
            return None
        return qualified_column((model.schema, model.alias, ref.column), self.project.adapter_type)


def compile_card(
    spec: DashboardSpec,
    card: CardSpec,
    sql: str,
    values: list[FilterValue],
    fields: FieldColumns,
) -> CompiledQuery:
    """The card's SQL with its filters' values substituted as Metabase substitutes them."""
    tags: dict[str, dict[str, Any]] = {}
    parameters: list[dict[str, Any]] = []
    by_id = {value.id: value for value in values}
    mapped = {mapping.tag: (filter_id, mapping) for filter_id, mapping in card.filters.items()}
    for tag in template_tags(sql):
        if tag not in mapped:
            raise QueryError(f"The query refers to {{{{{tag}}}}}, which no dashboard filter maps.")
        filter_id, mapping = mapped[tag]
        dashboard_filter = spec.filter(filter_id)
        assert dashboard_filter is not None  # the publisher's validation guarantees it
        tags[tag] = payloads.field_filter_tag(
            f"{spec.dashboard}.{card.key}",
            tag,
            dashboard_filter.name,
            fields.field_id(mapping.field),
            dashboard_filter.type,
            dashboard_filter.default,
        )
        value = by_id[filter_id]
        # A dashboard sends every filter with its current value; a cleared one as null.
        parameters.append(
            {
                "id": filter_id,
                "type": dashboard_filter.type,
                "target": ["dimension", ["template-tag", tag]],
                "value": value.value if value.is_set else None,
            }
        )
    return compile_native(sql, tags, parameters, fields.column_of)


def plain(value: Any) -> Any:
    """Database values as plain Python: Decimal -> int/float; others unchanged."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def run_query(conn, compiled: CompiledQuery, card: CardSpec | None = None) -> CardResult:
    """Run one compiled card query; a database error becomes the card's error, not a crash."""
    with conn.cursor() as cur:
        sql = cur.mogrify(compiled.sql, compiled.params).decode()
        try:
            cur.execute(compiled.sql, compiled.params)
        except Exception as exc:  # psycopg2.Error: the page shows it on the card
            conn.rollback()
            return CardResult(card, (), (), sql, error=str(exc).strip())
        columns = tuple(column.name for column in cur.description or ())
        rows = cur.fetchmany(MAX_ROWS + 1)
    truncated = len(rows) > MAX_ROWS
    return CardResult(
        card,
        columns,
        tuple(tuple(plain(v) for v in row) for row in rows[:MAX_ROWS]),
        sql,
        truncated=truncated,
    )


def json_value(value: Any) -> Any:
    """A value for Vega-Lite data: dates as ISO strings."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
