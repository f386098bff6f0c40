"""The validator against a small hand-made project and a real PostgreSQL (no dbt, no Metabase)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from experiment_analytics.metabase.errors import SpecError
from experiment_analytics.metabase.project import (
    AnalysisInfo,
    ExposureInfo,
    ModelInfo,
    ProjectInfo,
)
from experiment_analytics.metabase.spec import CollectionSpec, PublisherConfig
from experiment_analytics.metabase.validate import executable_sql, load_specs
from experiment_analytics.warehouse import connect

SQL = (
    "select experiment_name, metric_date, acceptance_rate from analytics.variant_daily_metrics\n"
    "where true\n    [[and {{experiment}}]]"
)


@pytest.fixture(scope="module")
def warehouse(new_database):
    settings = new_database("validate")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "create schema analytics; create table analytics.variant_daily_metrics "
            "(experiment_name text, metric_date date, acceptance_rate double precision)"
        )
    conn.close()
    return settings


def config(tmp_path: Path) -> PublisherConfig:
    return PublisherConfig(
        managed_collection="Managed",
        collections={"ml": CollectionSpec(key="ml", name="ML")},
    ).with_path(tmp_path / "publisher.yml")


def project(tmp_path: Path, dashboard: dict, sql: str = SQL) -> ProjectInfo:
    spec_path = tmp_path / "vp.yml"
    spec_path.write_text(yaml.safe_dump(dashboard))
    model = ModelInfo("variant_daily_metrics", "analytics", "variant_daily_metrics", ())
    analysis = AnalysisInfo("vp__trend", "analyses/vp__trend.sql", sql, ("variant_daily_metrics",))
    exposure = ExposureInfo("vp", "VP", spec_path, None, "models/_exposures.yml", ())
    return ProjectInfo(
        tmp_path / "manifest.json",
        tmp_path,
        {model.name: model},
        {analysis.name: analysis},
        {"vp": exposure},
        {},
    )


def card(**change) -> dict:
    base = {
        "key": "trend",
        "name": "Trend",
        "display": "line",
        "query": "vp__trend",
        "columns": ["experiment_name", "metric_date", "acceptance_rate"],
        "visualization_settings": {
            "graph.dimensions": ["metric_date"],
            "graph.metrics": ["acceptance_rate"],
        },
        "position": {"row": 0, "col": 0, "size_x": 12, "size_y": 6},
        "filters": {
            "experiment": {
                "tag": "experiment",
                "field": {"model": "variant_daily_metrics", "column": "experiment_name"},
            }
        },
    }
    merged = {**base, **change}
    if "key" in change and "name" not in change:
        merged["name"] = change["key"].title()  # card names are unique in the managed tree
    return merged


def dashboard(*cards: dict, **change) -> dict:
    return {
        "dashboard": "vp",
        "name": "VP",
        "collection": "ml",
        "filters": [
            {
                "id": "experiment",
                "name": "Experiment",
                "type": "string/=",
                "field": {"model": "variant_daily_metrics", "column": "experiment_name"},
            }
        ],
        "cards": list(cards or [card()]),
        **change,
    }


def problems(tmp_path, warehouse, data: dict, sql: str = SQL) -> list[str]:
    try:
        load_specs(config(tmp_path), project(tmp_path, data, sql), warehouse)
    except SpecError as exc:
        return exc.problems
    return []


def test_valid_spec_passes(tmp_path, warehouse) -> None:
    specs = load_specs(config(tmp_path), project(tmp_path, dashboard()), warehouse)
    assert specs.dashboards[0].cards[0].key == "trend"


def test_overlapping_cards(tmp_path, warehouse) -> None:
    other = card(key="other", position={"row": 3, "col": 6, "size_x": 12, "size_y": 6})
    found = problems(tmp_path, warehouse, dashboard(card(), other))
    assert found == [f"{tmp_path / 'vp.yml'} (dashboard vp), card trend: overlaps card other"]


def test_card_beyond_the_grid(tmp_path, warehouse) -> None:
    found = problems(
        tmp_path,
        warehouse,
        dashboard(card(position={"row": 0, "col": 20, "size_x": 6, "size_y": 4})),
    )
    assert any("card trend: col 20 + size_x 6 exceeds the 24-column grid" in p for p in found)


def test_filter_mapped_to_card_without_the_tag(tmp_path, warehouse) -> None:
    sql = SQL.replace("\n    [[and {{experiment}}]]", "")
    found = problems(tmp_path, warehouse, dashboard(), sql)
    assert any(
        "card trend: filter 'experiment' is mapped to tag 'experiment', but the card's "
        "query 'vp__trend' lacks it" in p
        for p in found
    )


def test_unknown_model_and_column(tmp_path, warehouse) -> None:
    bad = card(
        filters={
            "experiment": {
                "tag": "experiment",
                "field": {"model": "variant_daily_metrics", "column": "experiment"},
            }
        }
    )
    found = problems(
        tmp_path,
        warehouse,
        dashboard(
            bad,
            filters=[
                {
                    "id": "experiment",
                    "name": "E",
                    "type": "string/=",
                    "field": {"model": "nope", "column": "x"},
                }
            ],
        ),
    )
    assert any("filter experiment: unknown model 'nope'" in p for p in found)
    assert any(
        "card trend, filter experiment: unknown column 'experiment' of model "
        "'variant_daily_metrics'" in p
        for p in found
    )


def test_query_lacking_a_visualization_column(tmp_path, warehouse) -> None:
    found = problems(
        tmp_path,
        warehouse,
        dashboard(card(columns=["metric_date", "acceptance_rate", "variant_name"])),
    )
    assert any(
        "card trend: query 'vp__trend' returns" in p
        and "(missing: ['variant_name'], not declared: ['experiment_name'])" in p
        for p in found
    )


def test_query_returning_undeclared_columns_is_an_error(tmp_path, warehouse) -> None:
    narrow = card(columns=["metric_date", "acceptance_rate"])
    found = problems(tmp_path, warehouse, dashboard(narrow))
    assert any(
        "card trend: query 'vp__trend' returns" in p
        and "(missing: [], not declared: ['experiment_name'])" in p
        for p in found
    )


def test_failing_query_names_the_card(tmp_path, warehouse) -> None:
    found = problems(
        tmp_path, warehouse, dashboard(), SQL.replace("acceptance_rate from", "acceptance from")
    )
    assert any("card trend: query 'vp__trend'" in p and "fails" in p for p in found)


def test_unknown_analysis_and_filter(tmp_path, warehouse) -> None:
    bad = card(
        query="missing",
        filters={
            "region": {
                "tag": "region",
                "field": {"model": "variant_daily_metrics", "column": "experiment_name"},
            }
        },
    )
    found = problems(tmp_path, warehouse, dashboard(bad))
    assert found == [
        f"{tmp_path / 'vp.yml'} (dashboard vp), card trend: filters.region: not a filter of "
        "the dashboard"
    ]
    found = problems(tmp_path, warehouse, dashboard(card(query="vp__trnd")))
    assert any(
        "card trend: unknown query 'vp__trnd' (did you mean 'vp__trend'?)" in p for p in found
    ), found


def test_exposure_must_match_spec(tmp_path, warehouse) -> None:
    info = project(tmp_path, dashboard(dashboard="other"))
    info = replace(info, dashboards={"vp": info.dashboards["vp"]})
    with pytest.raises(SpecError, match="'dashboard' must be the exposure name 'vp'"):
        load_specs(config(tmp_path), info, warehouse)


def test_tags_outside_optional_clauses_are_refused() -> None:
    assert "{{" not in executable_sql(SQL)
    with pytest.raises(ValueError, match="outside an optional clause"):
        executable_sql("select 1 where {{experiment}}")
