"""Parsing of the publisher's YAML: structural problems name the file, dashboard and card."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from experiment_analytics.metabase import payloads
from experiment_analytics.metabase.errors import SpecError
from experiment_analytics.metabase.exposures import write_exposure_urls
from experiment_analytics.metabase.project import ExposureInfo
from experiment_analytics.metabase.spec import Position, expand_env, parse_dashboard

CARD = {
    "key": "comparison",
    "name": "Comparison",
    "display": "table",
    "query": "vp__comparison",
    "columns": ["variant_name"],
    "position": {"row": 0, "col": 0, "size_x": 12, "size_y": 6},
    "filters": {
        "experiment": {"tag": "experiment", "field": {"model": "vdm", "column": "experiment_name"}}
    },
}
DASHBOARD = {
    "dashboard": "vp",
    "name": "Variant Performance",
    "collection": "ml",
    "filters": [{"id": "experiment", "name": "Experiment", "type": "string/="}],
    "cards": [CARD],
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "vp.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_valid_dashboard_parses(tmp_path: Path) -> None:
    spec = parse_dashboard(write(tmp_path, DASHBOARD))
    assert spec.dashboard == "vp" and spec.width == "fixed"
    card = spec.cards[0]
    assert card.position == Position(0, 0, 12, 6)
    assert card.filters["experiment"].field.column == "experiment_name"
    assert spec.filter("experiment").type == "string/="


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"display": "sparkline"}, "'display' is not a supported display"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"position": {"row": 0, "col": 0, "size_x": 12}}, "missing required key 'size_y'"),
        ({"columns": []}, "'columns' must be a non-empty list"),
    ],
)
def test_card_problems_name_file_dashboard_and_card(tmp_path, change, expected) -> None:
    data = {**DASHBOARD, "cards": [{**CARD, **change}]}
    path = write(tmp_path, data)
    with pytest.raises(SpecError) as caught:
        parse_dashboard(path)
    problem = caught.value.problems[0]
    assert str(path) in problem and "dashboard vp" in problem and "card comparison" in problem
    assert expected in problem


def test_bad_filter_type_and_width(tmp_path: Path) -> None:
    data = {
        **DASHBOARD,
        "width": "wide",
        "filters": [{"id": "experiment", "name": "E", "type": "string/like"}],
    }
    with pytest.raises(SpecError) as caught:
        parse_dashboard(write(tmp_path, data))
    text = str(caught.value)
    assert "'width' must be fixed or full" in text
    assert "filter experiment: 'type' is not a Metabase parameter type" in text


def test_overlap_geometry() -> None:
    a = Position(0, 0, 12, 6)
    assert a.overlaps(Position(5, 11, 4, 4))
    assert not a.overlaps(Position(0, 12, 12, 6))  # side by side
    assert not a.overlaps(Position(6, 0, 12, 6))  # stacked


def test_env_expansion() -> None:
    env = {"SET": "a@example.com"}
    assert expand_env("${SET:-x@example.com}", env) == "a@example.com"
    assert expand_env("${UNSET:-x@example.com}", env) == "x@example.com"
    with pytest.raises(SpecError, match="UNSET is not set"):
        expand_env("${UNSET}", env)


def test_entity_ids_are_stable_nanoids() -> None:
    first = payloads.entity_id("card", "vp.comparison")
    assert first == payloads.entity_id("card", "vp.comparison")
    assert first != payloads.entity_id("card", "vp.other")
    assert len(first) == 21 and all(c.isalnum() or c in "-_" for c in first)


def test_legacy_and_mbql5_queries_normalise_alike() -> None:
    legacy = payloads.native_query(
        3, "select 1", {"e": payloads.field_filter_tag("k", "e", "Experiment", 42, "string/=")}
    )
    mbql5 = {
        "lib/type": "mbql/query",
        "database": 3,
        "stages": [
            {
                "lib/type": "mbql.stage/native",
                "native": "select 1",
                "template-tags": {
                    "e": {
                        **legacy["native"]["template-tags"]["e"],
                        "dimension": ["field", {"lib/uuid": "x"}, 42],
                    }
                },
            }
        ],
    }
    assert payloads.normal_query(legacy) == payloads.normal_query(mbql5)
    other = {**mbql5, "stages": [{**mbql5["stages"][0], "native": "select 2"}]}
    assert payloads.normal_query(legacy) != payloads.normal_query(other)


def test_write_exposure_urls_keeps_comments(tmp_path: Path) -> None:
    path = tmp_path / "_exposures.yml"
    path.write_text(
        "exposures:\n"
        "  # the first dashboard\n"
        "  - name: one\n    type: dashboard\n    url: http://old/1\n    owner: {name: a}\n"
        "  - name: two\n    type: dashboard\n    owner: {name: b}\n"
    )
    exposures = {n: ExposureInfo(n, n, None, None, "_exposures.yml", ()) for n in ("one", "two")}
    write_exposure_urls(
        tmp_path, exposures, {"one": "http://mb/dashboard/1", "two": "http://mb/dashboard/2"}
    )
    text = path.read_text()
    assert "# the first dashboard" in text and "http://old/1" not in text
    data = yaml.safe_load(text)["exposures"]
    assert [e["url"] for e in data] == ["http://mb/dashboard/1", "http://mb/dashboard/2"]
