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
    assert card.position == Position(row=0, col=0, size_x=12, size_y=6)
    assert card.filters["experiment"].field.column == "experiment_name"
    assert spec.filter("experiment").type == "string/="


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"display": "sparkline"}, "display: 'sparkline' is not a supported display"),
        ({"display": "tabel"}, "display: 'tabel' is not a supported display (did you mean"),
        ({"colour": "red"}, "colour: unknown key 'colour'"),
        ({"descripton": "x"}, "unknown key 'descripton' (did you mean 'description'?)"),
        (
            {"position": {"row": 0, "col": 0, "size_x": 12}},
            "position.size_y: missing required key 'size_y'",
        ),
        ({"columns": []}, "columns: Tuple should have at least 1 item"),
    ],
)
def test_card_problems_name_file_dashboard_and_card(tmp_path, change, expected) -> None:
    data = {**DASHBOARD, "cards": [{**CARD, **change}]}
    path = write(tmp_path, data)
    with pytest.raises(SpecError) as caught:
        parse_dashboard(path)
    problem = caught.value.problems[0]
    assert problem.startswith(f"{path} (dashboard vp): cards[0] (comparison)."), problem
    assert expected in problem


def test_bad_filter_type_and_width_in_one_error(tmp_path: Path) -> None:
    data = {
        **DASHBOARD,
        "width": "wide",
        "filters": [{"id": "experiment", "name": "E", "type": "string/contain"}],
    }
    with pytest.raises(SpecError) as caught:
        parse_dashboard(write(tmp_path, data))
    text = str(caught.value)
    assert "width: Input should be 'fixed' or 'full'" in text
    assert (
        "filters[0] (experiment).type: 'string/contain' is not a Metabase parameter type "
        "(did you mean 'string/contains'?)" in text
    )


def test_overlap_geometry() -> None:
    a = Position(row=0, col=0, size_x=12, size_y=6)
    assert a.overlaps(Position(row=5, col=11, size_x=4, size_y=4))
    assert not a.overlaps(Position(row=0, col=12, size_x=12, size_y=6))  # side by side
    assert not a.overlaps(Position(row=6, col=0, size_x=12, size_y=6))  # stacked


def test_env_expansion() -> None:
    env = {"SET": "a@example.com"}
    assert expand_env("${SET:-x@example.com}", env) == "a@example.com"
    assert expand_env("${UNSET:-x@example.com}", env) == "x@example.com"
    with pytest.raises(KeyError, match="UNSET"):
        expand_env("${UNSET}", env)


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
