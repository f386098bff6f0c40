"""Behaviour that depends on the Metabase version, at the lowest (0.54) and highest (0.61)
supported releases and on each side of the releases that changed it (SERVER-BEHAVIOUR.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from experiment_analytics.metabase_double import MetabaseDouble
from metabase_double.conftest import Api, field_id, native_card

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


@pytest.mark.parametrize("version", [LOWEST, HIGHEST])
def test_what_a_publisher_writes_works_at_both_ends_of_the_range(doubles, version: str) -> None:
    double = doubles[version]
    api = _api(double)
    db = double.database_id
    collection = api.ok("POST", "/api/collection", {"name": f"Range {version}"})
    fid = field_id(api, db, "experiments", "experiment_id")
    query = {
        "database": db,
        "type": "native",
        "native": {
            "query": "select experiment_id from analytics.experiments where {{e}}",
            "template-tags": {
                "e": {
                    "id": "e-tag",
                    "name": "e",
                    "display-name": "E",
                    "type": "dimension",
                    "dimension": ["field", fid, None],
                    "widget-type": "string/=",
                }
            },
        },
    }
    card = api.ok(
        "POST",
        "/api/card",
        {**native_card(db, collection_id=collection["id"]), "dataset_query": query},
    )
    dashboard = api.ok(
        "POST",
        "/api/dashboard",
        {
            "name": f"Range {version}",
            "collection_id": collection["id"],
            "parameters": [{"id": "p1", "name": "E", "slug": "e", "type": "string/="}],
        },
    )
    mapping = {
        "parameter_id": "p1",
        "card_id": card["id"],
        "target": ["dimension", ["template-tag", "e"]],
    }
    dashcard = {
        "id": -1,
        "card_id": card["id"],
        "row": 0,
        "col": 0,
        "size_x": 12,
        "size_y": 6,
        "parameter_mappings": [mapping],
    }
    saved = api.ok("PUT", f"/api/dashboard/{dashboard['id']}", {"dashcards": [dashcard]})
    run = api.post(
        f"/api/card/{card['id']}/query",
        {"parameters": [{"type": "string/=", "value": ["exp_a"], "target": mapping["target"]}]},
    )
    assert run.status_code == 202 and run.json()["data"]["rows"] == [["exp_a"]]
    notification = api.ok(
        "POST",
        "/api/notification",
        {
            "payload_type": "notification/card",
            "payload": {"card_id": card["id"], "send_condition": "has_result"},
            "handlers": [
                {
                    "channel_type": "channel/email",
                    "recipients": [{"type": "notification-recipient/user", "user_id": 1}],
                }
            ],
            "subscriptions": [
                {"type": "notification-subscription/cron", "cron_schedule": "0 0 9 * * ?"}
            ],
        },
    )
    assert notification["payload"]["card_id"] == card["id"]
    pulse = api.ok(
        "POST",
        "/api/pulse",
        {
            "name": "Daily",
            "dashboard_id": dashboard["id"],
            "cards": [
                {
                    "id": card["id"],
                    "include_csv": False,
                    "include_xls": False,
                    "dashboard_card_id": saved["dashcards"][0]["id"],
                }
            ],
            "channels": [
                {
                    "channel_type": "email",
                    "schedule_type": "daily",
                    "schedule_hour": 7,
                    "recipients": [{"email": "team@example.com"}],
                }
            ],
        },
    )
    assert pulse["collection_id"] == collection["id"]
    group = api.ok("POST", "/api/permissions/group", {"name": f"Readers {version}"})
    graph = api.ok("GET", "/api/collection/graph")
    cells = {str(group["id"]): {str(collection["id"]): "read"}}
    api.ok("PUT", "/api/collection/graph", {"revision": graph["revision"], "groups": cells})
    data = api.ok("GET", "/api/permissions/graph")
    blocked = {str(group["id"]): {str(db): {"view-data": "blocked", "create-queries": "no"}}}
    api.ok("PUT", "/api/permissions/graph", {"revision": data["revision"], "groups": blocked})
    magic = {g["magic_group_type"] for g in api.ok("GET", "/api/permissions/group")}
    assert {"all-internal-users", "admin"} <= magic
