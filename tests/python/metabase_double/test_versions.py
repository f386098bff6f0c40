"""Behaviour that depends on the Metabase version, at the lowest (0.54) and highest (0.61)
supported releases and on each side of the releases that changed it (SERVER-BEHAVIOUR.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from experiment_analytics.metabase_double import MetabaseDouble
from metabase_double.conftest import Api, native_card

LOWEST, HIGHEST = "v0.54.0", "v0.61.2"


@pytest.fixture(scope="module")
def doubles(mb_warehouse) -> Iterator[dict[str, MetabaseDouble]]:
    versions = [LOWEST, "v0.56.12", "v0.56.13", "v0.57.0", HIGHEST]
    running = {
        v: MetabaseDouble(warehouse=mb_warehouse, version=v, sync_delay_seconds=0) for v in versions
    }
    for double in running.values():
        double.start()
    yield running
    for double in running.values():
        double.stop()


def _api(double: MetabaseDouble) -> Api:
    return Api(double.url, {"X-API-KEY": double.api_key})


@pytest.mark.parametrize(
    ("version", "has_routes"),
    [(LOWEST, False), ("v0.56.13", False), ("v0.57.0", True), (HIGHEST, True)],
)
def test_entity_id_routes_exist_from_057(doubles, version: str, has_routes: bool) -> None:
    double = doubles[version]
    api = _api(double)
    collection = api.ok("POST", "/api/collection", {"name": "Eid routes"})
    card = api.ok(
        "POST", "/api/card", native_card(double.database_id, collection_id=collection["id"])
    )
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Eid dash"})
    paths = [
        f"/api/card/{card['entity_id']}",
        f"/api/dashboard/{dashboard['entity_id']}",
        f"/api/collection/{collection['entity_id']}/items",
    ]
    for path in paths:
        response = api.get(path)
        if has_routes:
            assert response.status_code == 200, (path, response.text)
        else:
            assert response.status_code == 404, path
            assert response.text == "API endpoint does not exist."
    # Numeric ids work in every version.
    assert api.ok("GET", f"/api/card/{card['id']}")["entity_id"] == card["entity_id"]


@pytest.mark.parametrize(
    ("version", "lists_none"),
    [(LOWEST, True), ("v0.56.12", True), ("v0.56.13", False), (HIGHEST, False)],
)
def test_collection_graph_none_cells_until_05613(doubles, version: str, lists_none: bool) -> None:
    api = _api(doubles[version])
    group = api.ok("POST", "/api/permissions/group", {"name": f"No access {version}"})
    collection = api.ok("POST", "/api/collection", {"name": f"Closed {version}"})
    cells = api.ok("GET", "/api/collection/graph")["groups"][str(group["id"])]
    if lists_none:
        assert cells["root"] == "none" and cells[str(collection["id"])] == "none"
    else:
        assert cells == {}


@pytest.mark.parametrize(
    ("version", "mbql5"),
    [(LOWEST, False), ("v0.56.13", False), ("v0.57.0", True), (HIGHEST, True)],
)
def test_cards_read_back_as_mbql5_from_057(doubles, version: str, mbql5: bool) -> None:
    double = doubles[version]
    api = _api(double)
    legacy = native_card(double.database_id, "select 2 as two")["dataset_query"]
    card = api.ok("POST", "/api/card", native_card(double.database_id, "select 2 as two"))
    read = api.ok("GET", f"/api/card/{card['id']}")["dataset_query"]
    if mbql5:
        assert read == {
            "lib/type": "mbql/query",
            "database": double.database_id,
            "stages": [{"lib/type": "mbql.stage/native", "native": "select 2 as two"}],
        }
        # Legacy input is still accepted on write.
        api.ok("PUT", f"/api/card/{card['id']}", {"dataset_query": legacy})
        assert api.ok("GET", f"/api/card/{card['id']}")["dataset_query"] == read
    else:
        assert read == legacy
