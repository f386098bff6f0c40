"""HTML pages: one per dashboard, the alerts & schedules page and an index (Jinja2 templates).

Pages are self-contained: CSS inline, charts as inline SVG, no script runs and nothing is
fetched. Each chart's Vega-Lite spec (with its data) is embedded next to its SVG as JSON, so
what a chart draws can be checked. Layout: Metabase's 24-column grid, 48 px rows, 8 px gaps;
a `fixed`-width dashboard is 1048 px wide like Metabase's, a `full` one fills the window
(charts are drawn for 1400 px and scale).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from experiment_analytics.metabase.spec import AlertSpec, DashboardSpec, SubscriptionSpec
from experiment_analytics.preview.cards import CardResult, FilterValue
from experiment_analytics.preview.charts import CHART_DISPLAYS, chart_spec, render_svg
from experiment_analytics.preview.formatting import column_settings, column_title, format_value

TEMPLATES = Path(__file__).parent / "templates"
GRID_COLUMNS = 24
ROW_HEIGHT = 48
GAP = 8
GRID_WIDTH = {"fixed": 1048, "full": 1400}
CARD_PADDING_X = 30  # padding and border of a card
CARD_CHROME_Y = 78  # padding, title and two lines of description
SCALAR_DISPLAYS = frozenset({"scalar", "smartscalar", "gauge", "progress"})
# Displays the preview shows as a table, and why (the same fallback the publisher documents).
TABLE_NOTES = {
    "boxplot": "Metabase has no box plot: published as this table of the five-number summary.",
    "pivot": "Shown unpivoted: the preview draws pivot tables as plain tables.",
    "map": "Shown as a table: the preview does not draw maps.",
}

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["j2", "html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Cell:
    text: str
    number: bool


@dataclass
class Column:
    name: str
    title: str


@dataclass
class CardView:
    card: Any
    kind: str  # "scalar", "chart", "table"
    error: str | None = None
    note: str | None = None
    scalar_column: str = ""
    scalar_raw: Any = None
    scalar_text: str = ""
    svg: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    columns: list[Column] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)


def card_pixels(size_x: int, size_y: int, width: str) -> tuple[int, int]:
    """The drawing area (width, height) of a card of this size on the grid, in px."""
    column = (GRID_WIDTH.get(width, GRID_WIDTH["fixed"]) - (GRID_COLUMNS - 1) * GAP) / GRID_COLUMNS
    card_width = size_x * column + (size_x - 1) * GAP
    card_height = size_y * ROW_HEIGHT + (size_y - 1) * GAP
    return int(card_width - CARD_PADDING_X), int(card_height - CARD_CHROME_Y)


def table_view(
    result: CardResult, settings: dict[str, Any]
) -> tuple[list[Column], list[list[Cell]]]:
    """Every column the query returns (as Metabase's table does), titled and formatted."""
    columns = [Column(name, column_title(settings, name)) for name in result.columns]
    formats = [column_settings(settings, name) for name in result.columns]
    rows = [
        [
            Cell(
                format_value(value, fmt),
                isinstance(value, int | float) and not isinstance(value, bool),
            )
            for value, fmt in zip(row, formats, strict=True)
        ]
        for row in result.rows
    ]
    return columns, rows


def card_view(result: CardResult, width: str) -> CardView:
    card = result.card
    settings = card.visualization_settings
    if result.error:
        return CardView(card, "error", error=f"The query failed: {result.error}")
    note = (
        f"Showing the first {len(result.rows)} rows, as Metabase does."
        if result.truncated
        else None
    )
    if card.display in SCALAR_DISPLAYS:
        column = settings.get("scalar.field") or (
            card.columns[0] if card.columns else result.columns[0]
        )
        raw = result.rows[0][result.columns.index(column)] if result.rows else None
        text = (
            format_value(raw, column_settings(settings, column)) if result.rows else "No results!"
        )
        return CardView(
            card, "scalar", note=note, scalar_column=column, scalar_raw=raw, scalar_text=text
        )
    if card.display in CHART_DISPLAYS:
        chart_width, chart_height = card_pixels(card.position.size_x, card.position.size_y, width)
        spec = chart_spec(result, chart_width, chart_height)
        return CardView(card, "chart", note=note, svg=render_svg(spec), spec=spec)
    columns, rows = table_view(result, settings)
    table_note = TABLE_NOTES.get(card.display)
    if card.display not in ("table", "object", *TABLE_NOTES):
        table_note = f"Shown as a table: the preview does not draw '{card.display}' cards."
    return CardView(
        card,
        "table",
        note=" ".join(n for n in (table_note, note) if n) or None,
        columns=columns,
        rows=rows,
    )


@dataclass(frozen=True)
class PageContext:
    """What every page shows in its navigation and footer."""

    nav: list[dict[str, str]]
    generated_at: str
    warehouse: str


def _render(template: str, context: PageContext, **values: Any) -> str:
    return _environment.get_template(template).render(
        css=(TEMPLATES / "style.css").read_text(),
        nav=context.nav,
        generated_at=context.generated_at,
        warehouse=context.warehouse,
        **values,
    )


def dashboard_page(
    spec: DashboardSpec,
    results: list[CardResult],
    filter_values: list[FilterValue],
    context: PageContext,
    file: str,
) -> str:
    cards = [card_view(result, spec.width) for result in results]
    return _render(
        "dashboard.html.j2",
        context,
        title=spec.name,
        current=file,
        width=spec.width,
        spec=spec,
        cards=cards,
        filter_values=filter_values,
    )


@dataclass
class AlertView:
    alert: AlertSpec
    result: CardResult
    condition: str
    schedule: str
    channels: list[str]
    columns: list[Column]
    rows: list[list[Cell]]

    @property
    def fires(self) -> bool:
        return not self.result.error and bool(self.result.rows)


@dataclass
class SubscriptionView:
    subscription: SubscriptionSpec
    dashboard_name: str
    file: str | None
    schedule: str
    channels: list[str]


def alert_view(
    alert: AlertSpec, result: CardResult, schedule: str, channels: list[str]
) -> AlertView:
    condition = "When the question returns any rows" + (
        ", and only the first time (then the alert is deleted)"
        if alert.send_once
        else "; sent on every check while it does"
    )
    columns, rows = table_view(result, {})
    return AlertView(alert, result, condition, schedule, channels, columns, rows)


def alerts_page(
    alerts: list[AlertView], subscriptions: list[SubscriptionView], context: PageContext
) -> str:
    return _render(
        "alerts.html.j2",
        context,
        title="Alerts & schedules",
        current="alerts.html",
        width="fixed",
        alerts=alerts,
        subscriptions=subscriptions,
    )


def index_page(dashboards: list[dict[str, Any]], context: PageContext) -> str:
    return _render(
        "index.html.j2",
        context,
        title="Dashboards",
        current="index",
        width="fixed",
        dashboards=dashboards,
    )
