"""Content of the dashboard pages: layout, numbers, chart series, table columns, filters."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil

import pytest
from dashboards.content import dashboard_specs

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.preview.build import PreviewOptions, build_preview, stale_reason
from experiment_analytics.preview.cards import PreviewError
from experiment_analytics.preview.charts import CHART_DISPLAYS
from experiment_analytics.preview.formatting import column_settings, column_title, format_value

from .conftest import DATE_RANGE
from .dom import parse
from .expected import DEFAULT_CONDITIONS, card_rows

SPECS = {spec.dashboard: spec for spec in dashboard_specs()}
CARDS = [(spec.dashboard, card.key) for spec in SPECS.values() for card in spec.cards]


def card_of(dashboard: str, key: str):
    return next(card for card in SPECS[dashboard].cards if card.key == key)


def article(result, dashboard: str, key: str):
    page = parse(result.pages[dashboard].read_text())
    return page.find("article", cls="card", data_card_key=key)


def embedded_spec(element) -> dict:
    return json.loads(element.find("script", cls="vega-lite-spec").text())


def test_every_dashboard_has_a_page_with_every_card_where_the_spec_puts_it(preview):
    assert set(preview.pages) == set(SPECS)
    for name, spec in SPECS.items():
        page = parse(preview.pages[name].read_text())
        assert page.find("h1").text() == spec.name
        assert spec.description[:60] in page.find("p", cls="dashboard-description").text()
        articles = page.find_all("article", cls="card")
        assert [a.attrs["data-card-key"] for a in articles] == [c.key for c in spec.cards]
        for element, card in zip(articles, spec.cards, strict=True):
            p = card.position
            assert (
                int(element.attrs["data-row"]),
                int(element.attrs["data-col"]),
                int(element.attrs["data-size-x"]),
                int(element.attrs["data-size-y"]),
            ) == (p.row, p.col, p.size_x, p.size_y)
            style = element.attrs["style"]
            assert f"grid-column: {p.col + 1} / span {p.size_x};" in style
            assert f"grid-row: {p.row + 1} / span {p.size_y};" in style
            assert element.find("h2", cls="card-title").text() == card.name
            if card.description:
                assert element.find("p", cls="card-description").text() == card.description
            assert element.attrs["data-display"] == card.display
            assert not element.find_all(cls="card-error"), element.text()


@pytest.mark.parametrize(
    ("dashboard", "key"), [c for c in CARDS if card_of(*c).display == "scalar"]
)
def test_number_card_shows_its_query_value(preview, preview_warehouse, project, dashboard, key):
    card = card_of(dashboard, key)
    _, rows = card_rows(preview_warehouse, project, card, DEFAULT_CONDITIONS)
    value = rows[0][card.columns[0]]
    shown = article(preview, dashboard, key).find("div", cls="scalar-value")
    assert shown.attrs["data-column"] == card.columns[0]
    if isinstance(value, str):  # a text number: the cost cards, which may name unpriced models
        assert shown.attrs["data-value"] == value
    else:
        assert float(shown.attrs["data-value"]) == pytest.approx(value)
    expected = format_value(value, column_settings(card.visualization_settings, card.columns[0]))
    assert shown.text() == expected
    style = column_settings(card.visualization_settings, card.columns[0]).get("number_style")
    if style == "currency":
        assert shown.text() == f"${value:,.2f}"


def chart_cards():
    return [c for c in CARDS if card_of(*c).display in CHART_DISPLAYS]


@pytest.mark.parametrize(("dashboard", "key"), chart_cards())
def test_chart_draws_the_query_series(preview, preview_warehouse, project, dashboard, key):
    card = card_of(dashboard, key)
    settings = card.visualization_settings
    _, rows = card_rows(preview_warehouse, project, card, DEFAULT_CONDITIONS)
    element = article(preview, dashboard, key)
    spec = embedded_spec(element)
    records = spec["data"]["values"]
    dimensions = settings["graph.dimensions"]
    metrics = settings["graph.metrics"]
    mark = spec["mark"]["type"] if isinstance(spec["mark"], dict) else spec["mark"]
    assert mark == {"line": "line", "bar": "bar", "row": "bar", "scatter": "circle"}[card.display]
    assert spec["encoding"]["x"]["title"] == settings["graph.x_axis.title_text"]
    assert spec["encoding"]["y"]["title"] == settings["graph.y_axis.title_text"]
    if len(dimensions) == 2:
        # one series per value of the split column (e.g. one line per variant)
        expected_series = {str(row[dimensions[1]]) for row in rows}
        assert {r["series"] for r in records} == expected_series
        assert len(records) == len(rows)
        assert sorted(r["y"] for r in records if r["y"] is not None) == pytest.approx(
            sorted(row[metrics[0]] for row in rows if row[metrics[0]] is not None)
        )
    elif len(metrics) > 1:
        # several metrics and no split: one series per metric, titled like the metric
        assert {r["series"] for r in records} == {column_title(settings, m) for m in metrics}
        assert len(records) == len(rows) * len(metrics)
    else:
        assert "series" not in records[0] if records else True
        assert [r["y"] for r in records] == pytest.approx([row[metrics[0]] for row in rows])
    xs = {r["x"] for r in records}
    expected_x = {
        v.isoformat() if isinstance(v, dt.date) else v for v in (row[dimensions[0]] for row in rows)
    }
    assert xs == expected_x
    svg = element.find("svg")
    assert svg.find_all("path") or svg.find_all("g")
    if "series" in (records[0] if records else {}):
        # the legend names every series, or as many as fit and "…N entries" for the rest
        labels = [t.text() for t in svg.find_all("text")]
        series = {str(r["series"]) for r in records}
        named = {
            s
            for s in series
            if s in labels or any(la.endswith("…") and s.startswith(la[:-1]) for la in labels)
        }
        more = [int(m[1]) for la in labels if (m := re.fullmatch(r"…(\d+) entries", la))]
        assert len(named) + sum(more) == len(series), (named, more, series)
        assert len(named) >= min(len(series), 4)
    if settings.get("stackable.stack_type") == "normalized":
        assert spec["encoding"]["y"]["stack"] == "normalize"
        assert spec["encoding"]["y"]["axis"]["format"] == ".0%"
    percent = column_settings(settings, metrics[0]).get("number_style") == "percent"
    if percent:
        assert spec["encoding"]["y"]["axis"]["format"].endswith("%")


@pytest.mark.parametrize(
    ("dashboard", "key"), [c for c in CARDS if card_of(*c).display in ("table", "boxplot")]
)
def test_table_has_declared_columns_with_titles_and_query_rows(
    preview, preview_warehouse, project, dashboard, key
):
    card = card_of(dashboard, key)
    settings = card.visualization_settings
    names, rows = card_rows(preview_warehouse, project, card, DEFAULT_CONDITIONS)
    element = article(preview, dashboard, key)
    if not rows:
        assert element.find(cls="no-results").text() == "No results!"
        return
    headers = element.find_all("th")
    shown = {th.attrs["data-column"]: th.text() for th in headers}
    assert [th.attrs["data-column"] for th in headers] == names
    for column in card.columns:
        assert shown[column] == column_title(settings, column)
        declared = column_settings(settings, column).get("column_title")
        if declared:
            assert shown[column] == declared
    body_rows = element.find("tbody").find_all("tr")
    assert len(body_rows) == min(len(rows), 2000)
    first = [td.text() for td in body_rows[0].find_all("td")]
    for index, column in enumerate(names):
        fmt = column_settings(settings, column)
        assert first[index] == format_value(rows[0][column], fmt)
        if fmt.get("number_style") == "percent" and rows[0][column] is not None:
            assert first[index].endswith("%")


def test_pages_state_the_filter_values_used(preview, filtered_preview, chosen_experiment):
    default = parse(preview.pages["variant_performance"].read_text())
    stated = {
        e.attrs["data-filter-id"]: e.find("dd").text() for e in default.find_all(cls="filter-value")
    }
    assert stated == {
        "experiment": "not set (all values)",
        "date_range": "past30days (dashboard default)",
    }
    filtered = parse(filtered_preview.pages["variant_performance"].read_text())
    stated = {
        e.attrs["data-filter-id"]: e.find("dd").text()
        for e in filtered.find_all(cls="filter-value")
    }
    assert stated == {
        "experiment": f"{chosen_experiment} (command line)",
        "date_range": f"{DATE_RANGE} (command line)",
    }
    overview = parse(preview.pages["experiment_overview"].read_text())
    assert "has none" in overview.find(cls="filter-value").text()


def test_filter_values_reach_every_card(
    filtered_preview, preview_warehouse, project, chosen_experiment
):
    conditions = {
        "experiment": "{column} = '" + chosen_experiment.replace("'", "''") + "'",
        "date_range": "{column} between current_date - 14 and current_date - 1",
    }
    spec = SPECS["variant_performance"]
    for card in spec.cards:
        names, rows = card_rows(preview_warehouse, project, card, conditions)
        assert rows, f"{card.key}: the filtered query returns nothing; pick another experiment"
        element = article(filtered_preview, "variant_performance", card.key)
        if card.display == "table":
            body_rows = element.find("tbody").find_all("tr")
            assert len(body_rows) == len(rows)
            index = names.index("experiment_name")
            assert {tr.find_all("td")[index].text() for tr in body_rows} == {chosen_experiment}
        else:
            records = embedded_spec(element)["data"]["values"]
            split = card.visualization_settings["graph.dimensions"][1]
            assert {r["series"] for r in records} == {str(row[split]) for row in rows}
            assert len(records) == len(rows)


def test_an_unknown_filter_is_a_clear_error(preview_warehouse, preview_target, preview, tmp_path):
    with pytest.raises(PreviewError, match=r"no dashboard has a filter 'experimnt'.*experiment"):
        build_preview(
            PreviewOptions(
                warehouse=preview_warehouse,
                output_dir=tmp_path / "out",
                target_dir=preview_target,
                compile="never",
                filters={"experimnt": "x"},
                screenshots=False,
            )
        )
    assert not (tmp_path / "out").exists()


def test_a_bad_date_value_is_a_clear_error(preview_warehouse, preview_target, preview, tmp_path):
    with pytest.raises(PreviewError, match=r"variant_performance.*date parameter value 'lastweek'"):
        build_preview(
            PreviewOptions(
                warehouse=preview_warehouse,
                output_dir=tmp_path / "out",
                target_dir=preview_target,
                compile="never",
                filters={"date_range": "lastweek"},
                screenshots=False,
            )
        )


def test_index_links_every_dashboard_and_its_picture(preview):
    index = parse(preview.index_page.read_text())
    for name in SPECS:
        section = index.find("section", data_dashboard=name)
        assert section.find("a").attrs["href"] == f"{name}.html"
        assert section.find("img").attrs["src"] == f"{name}.png"
        assert (preview.output_dir / f"{name}.png").stat().st_size > 10_000
    manifest = json.loads((preview.output_dir / "preview.json").read_text())
    assert {n: d["page"] for n, d in manifest["dashboards"].items()} == {
        n: f"{n}.html" for n in SPECS
    }


def test_card_sql_is_recompiled_only_when_the_project_changed(preview, preview_target, tmp_path):
    """`--compile auto`: the manifest the first preview compiled is reused until a file dbt
    reads is newer; then the preview compiles again."""
    manifest = json.loads((preview_target / "manifest.json").read_text())
    database = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model")[
        "database"
    ]
    assert stale_reason(preview_target, PROJECT_DIR, database) is None
    assert "another schema or database" in stale_reason(preview_target, PROJECT_DIR, "other")
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / "analyses", project / "analyses")
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(preview_target / "manifest.json", target / "manifest.json")
    assert stale_reason(target, project, database) is None
    changed = next((project / "analyses").rglob("*.sql"))
    later = (target / "manifest.json").stat().st_mtime + 5
    os.utime(changed, (later, later))
    assert stale_reason(target, project, database) == (
        f"{changed.relative_to(project)} changed after the last compile"
    )
    assert stale_reason(tmp_path / "none", project, database).startswith("no ")
