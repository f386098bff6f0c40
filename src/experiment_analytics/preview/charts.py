"""Vega-Lite charts for Metabase's chart displays, rendered offline to SVG with vl-convert.

One function per family of displays, each honouring the card's visualization settings:
`graph.dimensions` (x, then the series split), `graph.metrics` (several metrics without a split
become one series per metric, as Metabase draws them), `graph.x_axis.title_text`,
`graph.y_axis.title_text`, `graph.x_axis.scale`, `stackable.stack_type` (`stacked`,
`normalized` = 100% stacked) and the metric's number formatting. Data is embedded in the spec
in long form: fields `x`, `y` and, when there is more than one series, `series`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import vl_convert

from experiment_analytics.preview.cards import CardResult, json_value
from experiment_analytics.preview.formatting import column_settings, column_title, d3_format

# Metabase's default chart colours.
PALETTE = (
    "#509EE3",
    "#88BF4D",
    "#A989C5",
    "#EF8C8C",
    "#F9D45C",
    "#F2A86F",
    "#98D9D9",
    "#7172AD",
    "#6B8797",
    "#E4A1CE",
)
CHART_DISPLAYS = frozenset(
    {"line", "area", "bar", "combo", "row", "scatter", "pie", "waterfall", "funnel"}
)
FONT = "Lato, 'Helvetica Neue', Helvetica, Arial, sans-serif"


def chart_spec(result: CardResult, width: int, height: int) -> dict[str, Any]:
    """The Vega-Lite spec (data included) of a chart card."""
    card = result.card
    settings = card.visualization_settings
    display = card.display
    dimensions = list(settings.get("graph.dimensions") or result.columns[:1])
    metrics = list(settings.get("graph.metrics") or result.columns[1:2])
    if display == "pie":
        dimensions = [settings.get("pie.dimension") or dimensions[0]]
        metrics = [settings.get("pie.metric") or metrics[0]]
    records, series_title = _long_records(result, dimensions, metrics)
    x_title = settings.get("graph.x_axis.title_text") or column_title(settings, dimensions[0])
    y_title = settings.get("graph.y_axis.title_text") or (
        column_title(settings, metrics[0]) if len(metrics) == 1 else ""
    )
    y_format = d3_format(column_settings(settings, metrics[0]))
    has_series = series_title is not None
    data = alt.Data(values=records)
    base = alt.Chart(data).properties(width=width, height=height)
    color = alt.Color(
        "series:N",
        title=series_title or None,
        sort=None,
        scale=alt.Scale(range=list(PALETTE)),
        legend=_legend(width, height),
    )
    x_type = _x_type(display, settings, result, dimensions[0])
    tooltip = [
        alt.Tooltip(f"x:{'Q' if display == 'scatter' else x_type}", title=x_title),
        alt.Tooltip("y:Q", title=y_title or "value", format=y_format),
    ]
    if has_series:
        tooltip.insert(0, alt.Tooltip("series:N", title=series_title))
    x = alt.X(
        f"x:{x_type}", title=x_title, sort=None, axis=alt.Axis(labelLimit=110, labelAngle=-35)
    )
    if x_type == "T":
        # UTC days: a UTC scale (labels in UTC) and at least a day between ticks.
        x = alt.X(
            "x:T",
            title=x_title,
            scale=alt.Scale(type="utc"),
            axis=alt.Axis(format="%b %d", labelAngle=0, tickMinStep=86_400_000),
        )
    y = alt.Y("y:Q", title=y_title, axis=alt.Axis(format=y_format))
    stack_type = settings.get("stackable.stack_type")

    if display == "pie":
        chart = base.mark_arc(innerRadius=min(width, height) * 0.3).encode(
            theta=alt.Theta("y:Q", stack=True),
            color=alt.Color("x:N", title=x_title, sort=None, scale=alt.Scale(range=list(PALETTE))),
            tooltip=tooltip,
        )
    elif display in ("row", "funnel"):
        chart = base.mark_bar().encode(
            y=alt.Y("x:N", title=x_title, sort=None),
            x=alt.X("y:Q", title=y_title, axis=alt.Axis(format=y_format)),
            tooltip=tooltip,
            **({"color": color} if has_series else {"color": alt.value(PALETTE[0])}),
        )
    elif display in ("bar", "waterfall"):
        encoding: dict[str, Any] = {"x": x, "tooltip": tooltip}
        if stack_type == "normalized":
            encoding["y"] = alt.Y(
                "y:Q", title=y_title, stack="normalize", axis=alt.Axis(format=".0%")
            )
        elif stack_type == "stacked":
            encoding["y"] = alt.Y(
                "y:Q", title=y_title, stack="zero", axis=alt.Axis(format=y_format)
            )
        else:
            encoding["y"] = alt.Y("y:Q", title=y_title, stack=None, axis=alt.Axis(format=y_format))
            if has_series:
                encoding["xOffset"] = alt.XOffset("series:N", sort=None)
        encoding["color"] = color if has_series else alt.value(PALETTE[0])
        chart = base.mark_bar().encode(**encoding)
    elif display == "scatter":
        x = alt.X(
            "x:Q",
            title=x_title,
            scale=alt.Scale(zero=False),
            axis=alt.Axis(format=d3_format(column_settings(settings, dimensions[0]))),
        )
        y = alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=y_format))
        chart = base.mark_circle(size=90, opacity=0.85).encode(
            x=x,
            y=y,
            tooltip=tooltip,
            **({"color": color} if has_series else {"color": alt.value(PALETTE[0])}),
        )
    elif display == "area":
        chart = base.mark_area(opacity=0.8, line=True).encode(
            x=x,
            y=alt.Y(
                "y:Q",
                title=y_title,
                stack="normalize" if stack_type == "normalized" else "zero",
                axis=alt.Axis(format=".0%" if stack_type == "normalized" else y_format),
            ),
            tooltip=tooltip,
            **({"color": color} if has_series else {"color": alt.value(PALETTE[0])}),
        )
    else:  # line, combo
        chart = base.mark_line(point=len(records) <= 60, strokeWidth=2).encode(
            x=x,
            y=y,
            tooltip=tooltip,
            **({"color": color} if has_series else {"color": alt.value(PALETTE[0])}),
        )
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_dict()
    # The whole chart (axes and legend included) fits the card, as in Metabase.
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    spec["usermeta"] = {
        "display": display,
        "dimensions": dimensions,
        "metrics": metrics,
        "stack_type": stack_type,
    }
    return spec


def _legend(width: int, height: int) -> alt.Legend:
    """Metabase's legend sits on top and, when the series do not fit, says how many more:
    at most a quarter of the chart's height goes to legend rows."""
    columns = max(1, min(4, width // 230))
    rows = max(1, int(height * 0.25 // 15))
    return alt.Legend(
        orient="top",
        columns=columns,
        labelLimit=width // columns - 30,
        symbolLimit=columns * rows,
        labelFontSize=10,
        symbolSize=60,
    )


def _long_records(
    result: CardResult, dimensions: list[str], metrics: list[str]
) -> tuple[list[dict[str, Any]], str | None]:
    """Rows as {x, y[, series]}; returns them and the legend title (None: one series)."""
    settings = result.card.visualization_settings
    records: list[dict[str, Any]] = []
    rows = result.records()
    if len(dimensions) > 1:
        split = dimensions[1]
        for row in rows:
            records.append(
                {
                    "x": json_value(row[dimensions[0]]),
                    "series": json_value(row[split]),
                    "y": row[metrics[0]],
                }
            )
        return records, column_title(settings, split)
    if len(metrics) > 1:
        for row in rows:
            for metric in metrics:
                records.append(
                    {
                        "x": json_value(row[dimensions[0]]),
                        "series": column_title(settings, metric),
                        "y": row[metric],
                    }
                )
        return records, ""
    for row in rows:
        records.append({"x": json_value(row[dimensions[0]]), "y": row[metrics[0]]})
    return records, None


def _x_type(display: str, settings: dict[str, Any], result: CardResult, column: str) -> str:
    scale = settings.get("graph.x_axis.scale")
    if scale == "ordinal":
        return "O"
    values = [v for v in result.column(column) if v is not None] if result.rows else []
    if values and all(isinstance(v, dt.date) for v in values):
        return "T"
    if (
        display in ("line", "area", "scatter")
        and values
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    ):
        return "Q"
    return "N"


def render_svg(spec: dict[str, Any]) -> str:
    """The chart as SVG, rendered offline (vl-convert bundles Vega; no network)."""
    return vl_convert.vegalite_to_svg(spec)
