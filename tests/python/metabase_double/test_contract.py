"""Contract behaviour of the double: auth, required fields (CONTRACT §14), defaults, 404s,
dashcard set semantics, MBQL 5 readback by version, and the endpoints Metabase does not have."""

from __future__ import annotations

import pytest

from experiment_analytics.metabase_double import MetabaseDouble
from metabase_double.conftest import Api, native_card


# ---- auth -----------------------------------------------------------------------------------
def test_requests_without_credentials_get_401(anonymous: Api) -> None:
    assert anonymous.get("/api/card").status_code == 401
    assert anonymous.get("/api/user/current").status_code == 401


def test_wrong_api_key_and_unknown_session_get_401(double: MetabaseDouble) -> None:
    assert Api(double.url, {"X-API-KEY": "mb_wrong"}).get("/api/card").status_code == 401
    unknown = {"X-Metabase-Session": "00000000-0000-0000-0000-000000000000"}
    assert Api(double.url, unknown).get("/api/card").status_code == 401


def test_login_gives_a_session_that_authenticates(double: MetabaseDouble, anonymous: Api) -> None:
    login = {"username": double.admin_email, "password": double.admin_password}
    session_id = anonymous.ok("POST", "/api/session", login)["id"]
    me = Api(double.url, {"X-Metabase-Session": session_id}).ok("GET", "/api/user/current")
    assert me["email"] == double.admin_email and me["is_superuser"] is True
    bad = anonymous.post("/api/session", {"username": double.admin_email, "password": "nope"})
    assert bad.status_code == 401
    missing = anonymous.post("/api/session", {"username": double.admin_email})
    assert missing.status_code == 400 and "password" in missing.json()["errors"]


def test_public_endpoints_need_no_auth(anonymous: Api) -> None:
    properties = anonymous.ok("GET", "/api/session/properties")
    assert properties["version"]["tag"] == "v0.57.6"
    assert anonymous.ok("GET", "/api/health") == {"status": "ok"}


# ---- required fields, CONTRACT §14 -----------------------------------------------------------
@pytest.mark.parametrize("missing", ["name", "display", "visualization_settings", "dataset_query"])
def test_card_create_rejects_missing_required_field(api: Api, double, missing: str) -> None:
    body = native_card(double.database_id)
    del body[missing]
    response = api.post("/api/card", body)
    assert response.status_code == 400
    assert missing in response.json()["errors"]


def test_empty_descriptions_are_rejected_where_metabase_rejects_them(api: Api, double) -> None:
    card = api.post("/api/card", native_card(double.database_id, description=""))
    assert card.status_code == 400 and "description" in card.json()["errors"]
    coll = api.post("/api/collection", {"name": "X", "description": ""})
    assert coll.status_code == 400 and "description" in coll.json()["errors"]
    created = api.ok("POST", "/api/collection", {"name": "Described"})
    put = api.put(f"/api/collection/{created['id']}", {"description": ""})
    assert put.status_code == 400 and "description" in put.json()["errors"]
    field = api.ok("GET", f"/api/database/{double.database_id}/metadata")["tables"][0]["fields"][0]
    put_field = api.put(f"/api/field/{field['id']}", {"description": ""})
    assert put_field.status_code == 400 and "description" in put_field.json()["errors"]


@pytest.mark.parametrize("missing", ["engine", "details", "name"])
def test_database_create_rejects_missing_required_field(api: Api, missing: str) -> None:
    body = {"name": "Other", "engine": "postgres", "details": {"host": "127.0.0.1"}}
    del body[missing]
    response = api.post("/api/database", body)
    assert response.status_code == 400 and missing in response.json()["errors"]


def test_database_create_applies_defaults_and_syncs(api: Api, mb_warehouse) -> None:
    details = {
        "host": mb_warehouse.host,
        "port": mb_warehouse.port,
        "user": mb_warehouse.user,
        "password": mb_warehouse.password,
        "dbname": mb_warehouse.dbname,
    }
    created = api.ok(
        "POST", "/api/database", {"name": "Second copy", "engine": "postgres", "details": details}
    )
    assert created["is_full_sync"] is True and created["is_on_demand"] is False
    assert created["details"]["password"] != mb_warehouse.password or not mb_warehouse.password
    listed = api.ok("GET", "/api/database")
    assert listed["total"] == len(listed["data"]) >= 2
    unreachable = dict(details, port=1)
    refused = api.post(
        "/api/database", {"name": "Bad", "engine": "postgres", "details": unreachable}
    )
    assert refused.status_code == 400
    assert (
        api.post("/api/database", {"name": "B", "engine": "nosuch", "details": {}}).status_code
        == 400
    )


@pytest.mark.parametrize("field", ["token", "prefs"])
def test_setup_rejects_missing_token_or_site_name(anonymous: Api, field: str) -> None:
    body = {"token": "t", "user": {"email": "a@b.c", "password": "p"}, "prefs": {"site_name": "S"}}
    if field == "prefs":
        body["prefs"] = {}
        key = "prefs.site_name"
    else:
        del body["token"]
        key = "token"
    response = anonymous.post("/api/setup", body)
    assert response.status_code == 400 and key in response.json()["errors"]


def test_defaults_apply_when_optional_query_params_are_absent(api: Api) -> None:
    # archived / f / exclude-* are "required + default" in the spec: omitting them must work.
    assert api.get("/api/collection").status_code == 200
    assert api.get("/api/card").status_code == 200
    assert api.get("/api/collection/root/items").json()["total"] >= 0
    assert api.get("/api/card", params={"f": "bogus"}).status_code == 400


# ---- 404s and endpoints Metabase does not have -----------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/api/card/999999",
        "/api/dashboard/999999",
        "/api/collection/999999",
        "/api/table/999999",
        "/api/field/999999",
        "/api/database/999999",
        "/api/pulse/999999",
        "/api/notification/999999",
    ],
)
def test_unknown_ids_get_404(api: Api, path: str) -> None:
    assert api.get(path).status_code == 404


def test_notifications_and_pulses_have_no_delete(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    notification = api.ok(
        "POST",
        "/api/notification",
        {
            "payload_type": "notification/card",
            "payload": {"card_id": card["id"]},
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
    assert api.delete(f"/api/notification/{notification['id']}").status_code == 404
    assert api.delete("/api/pulse/1").status_code == 404
    assert api.post("/api/alert", {"card": {"id": card["id"]}}).status_code == 404
    archived = api.ok(
        "PUT", f"/api/notification/{notification['id']}", {**notification, "active": False}
    )
    assert archived["active"] is False
    listed = api.ok("GET", "/api/notification", params={"card_id": card["id"]})
    assert listed == []
    listed = api.ok(
        "GET", "/api/notification", params={"card_id": card["id"], "include_inactive": "true"}
    )
    assert [n["id"] for n in listed] == [notification["id"]]


# ---- notifications and pulses validation ------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"payload_type": "notification/bogus"}, "payload_type"),
        ({"payload": {}}, "card_id"),
        ({"payload": {"card_id": "CARD", "send_condition": "sometimes"}}, "send_condition"),
        ({"handlers": [{"channel_type": "email", "recipients": []}]}, "channel_type"),
        (
            {
                "handlers": [
                    {
                        "channel_type": "channel/email",
                        "recipients": [{"type": "notification-recipient/nobody"}],
                    }
                ]
            },
            "type",
        ),
        (
            {
                "subscriptions": [
                    {"type": "notification-subscription/cron", "cron_schedule": "every day"}
                ]
            },
            "cron_schedule",
        ),
    ],
)
def test_notification_validation(api: Api, double, change: dict, field: str) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    body = {
        "payload_type": "notification/card",
        "payload": {"card_id": card["id"]},
        "handlers": [],
        "subscriptions": [],
    }
    body.update(change)
    if body["payload"].get("card_id") == "CARD":
        body["payload"]["card_id"] = card["id"]
    response = api.post("/api/notification", body)
    assert response.status_code == 400
    assert any(field in key for key in response.json()["errors"])


def test_pulse_create_validates_channels_and_archives_instead_of_delete(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Subscribed"})
    channel = {
        "channel_type": "email",
        "schedule_type": "daily",
        "schedule_hour": 8,
        "recipients": [{"email": "team@example.com"}],
        "enabled": True,
    }
    cards = [{"id": card["id"], "include_csv": False, "include_xls": False}]
    bad = api.post(
        "/api/pulse",
        {"name": "S", "cards": cards, "channels": [{**channel, "channel_type": "pigeon"}]},
    )
    assert bad.status_code == 400
    bad = api.post(
        "/api/pulse",
        {"name": "S", "cards": cards, "channels": [{**channel, "schedule_type": "yearly"}]},
    )
    assert bad.status_code == 400
    assert (
        api.post("/api/pulse", {"name": "S", "cards": [], "channels": [channel]}).status_code == 400
    )
    pulse = api.ok(
        "POST",
        "/api/pulse",
        {"name": "S", "cards": cards, "channels": [channel], "dashboard_id": dashboard["id"]},
    )
    assert pulse["skip_if_empty"] is False and pulse["channels"][0]["schedule_hour"] == 8
    found = api.ok("GET", "/api/pulse", params={"dashboard_id": dashboard["id"]})
    assert [p["id"] for p in found] == [pulse["id"]]
    api.ok("PUT", f"/api/pulse/{pulse['id']}", {"archived": True})
    assert api.ok("GET", "/api/pulse", params={"dashboard_id": dashboard["id"]}) == []


# ---- dashcards as a set ------------------------------------------------------------------------
def _dashcard(card_id: int, dashcard_id: int, row: int = 0) -> dict:
    return {"id": dashcard_id, "card_id": card_id, "row": row, "col": 0, "size_x": 6, "size_y": 4}


def test_dashboard_has_no_dashcards_on_create_and_put_replaces_the_set(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Set semantics"})
    assert dashboard["dashcards"] == [] and dashboard["width"] == "fixed"
    path = f"/api/dashboard/{dashboard['id']}"
    first = api.ok(
        "PUT", path, {"dashcards": [_dashcard(card["id"], -1), _dashcard(card["id"], -2, row=4)]}
    )
    ids = sorted(d["id"] for d in first["dashcards"])
    assert len(ids) == 2 and all(i > 0 for i in ids)
    assert first["dashcards"][0]["card"]["id"] == card["id"]
    kept, dropped = ids
    second = api.ok(
        "PUT", path, {"dashcards": [_dashcard(card["id"], kept, row=9), _dashcard(card["id"], -1)]}
    )
    second_ids = {d["id"] for d in second["dashcards"]}
    assert kept in second_ids and dropped not in second_ids and len(second_ids) == 2
    assert next(d for d in second["dashcards"] if d["id"] == kept)["row"] == 9
    unchanged = api.ok("PUT", path, {"name": "Renamed"})
    assert {d["id"] for d in unchanged["dashcards"]} == second_ids


@pytest.mark.parametrize("missing", ["id", "row", "col", "size_x", "size_y"])
def test_dashcard_missing_required_key_is_rejected(api: Api, double, missing: str) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Strict"})
    dashcard = _dashcard(card["id"], -1)
    del dashcard[missing]
    response = api.put(f"/api/dashboard/{dashboard['id']}", {"dashcards": [dashcard]})
    assert response.status_code == 400
    assert any(missing in key for key in response.json()["errors"])
    assert api.ok("GET", f"/api/dashboard/{dashboard['id']}")["dashcards"] == []


def test_duplicate_ids_and_bad_width_are_rejected(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Dups"})
    path = f"/api/dashboard/{dashboard['id']}"
    dup = api.put(path, {"dashcards": [_dashcard(card["id"], -1), _dashcard(card["id"], -1)]})
    assert dup.status_code == 400 and "dashcards" in dup.json()["errors"]
    tabs = api.put(path, {"tabs": [{"id": -1, "name": "A"}, {"id": -1, "name": "B"}]})
    assert tabs.status_code == 400 and "tabs" in tabs.json()["errors"]
    width = api.put(path, {"width": "wide"})
    assert width.status_code == 400 and "width" in width.json()["errors"]
    assert api.ok("PUT", path, {"width": "full"})["width"] == "full"


def test_new_tabs_and_dashcards_reference_each_other_by_negative_ids(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Tabs"})
    result = api.ok(
        "PUT",
        f"/api/dashboard/{dashboard['id']}",
        {
            "tabs": [{"id": -1, "name": "Overview"}],
            "dashcards": [{**_dashcard(card["id"], -1), "dashboard_tab_id": -1}],
        },
    )
    tab_id = result["tabs"][0]["id"]
    assert tab_id > 0 and result["dashcards"][0]["dashboard_tab_id"] == tab_id


# ---- cards: MBQL 5 readback, entity ids, archive, delete -------------------------------------
def test_card_reads_back_as_mbql5_and_legacy_on_request(api: Api, double) -> None:
    legacy_query = {
        "database": double.database_id,
        "type": "native",
        "native": {
            "query": "select {{n}} as n",
            "template-tags": {"n": {"name": "n", "display-name": "N", "type": "number"}},
        },
    }
    card = api.ok(
        "POST",
        "/api/card",
        {**native_card(double.database_id), "dataset_query": legacy_query, "type": "question"},
    )
    read = api.ok("GET", f"/api/card/{card['id']}")
    assert read["type"] == "question" and read["query_type"] == "native"
    assert read["dataset_query"] == {
        "lib/type": "mbql/query",
        "database": double.database_id,
        "stages": [
            {
                "lib/type": "mbql.stage/native",
                "native": "select {{n}} as n",
                "template-tags": legacy_query["native"]["template-tags"],
            }
        ],
    }
    assert (
        api.ok("GET", f"/api/card/{card['id']}", params={"legacy-mbql": "true"})["dataset_query"]
        == legacy_query
    )
    # MBQL 5 written back is accepted and stored as the same query.
    api.ok("PUT", f"/api/card/{card['id']}", {"dataset_query": read["dataset_query"]})
    again = api.ok("GET", f"/api/card/{card['id']}")
    assert again["dataset_query"] == read["dataset_query"]


def test_field_filter_dimension_converts_between_legacy_and_mbql5(api: Api, double) -> None:
    query = {
        "database": double.database_id,
        "type": "native",
        "native": {
            "query": "select 1 where {{f}}",
            "template-tags": {
                "f": {
                    "name": "f",
                    "display-name": "F",
                    "type": "dimension",
                    "dimension": ["field", 1, None],
                    "widget-type": "string/=",
                }
            },
        },
    }
    card = api.ok("POST", "/api/card", {**native_card(double.database_id), "dataset_query": query})
    tag = card["dataset_query"]["stages"][0]["template-tags"]["f"]
    assert tag["dimension"][0] == "field" and tag["dimension"][2] == 1
    assert "lib/uuid" in tag["dimension"][1]
    assert api.ok("GET", f"/api/card/{card['id']}")["dataset_query"] == card["dataset_query"]


def test_older_versions_return_legacy_queries_and_lack_notifications() -> None:
    with MetabaseDouble(version="v0.53.4", sync_delay_seconds=0) as old:
        api = Api(old.url, {"X-API-KEY": old.api_key})
        assert api.ok("GET", "/api/session/properties")["version"]["tag"] == "v0.53.4"
        assert api.get("/api/notification").status_code == 404
        assert (
            api.post("/api/notification", {"payload_type": "notification/card"}).status_code == 404
        )
        alert = api.post("/api/alert", {"card": {"id": 1}})
        assert alert.status_code == 400  # the legacy endpoint exists and validates


def test_card_entity_id_lookup_archive_and_hard_delete(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    assert api.ok("GET", f"/api/card/{card['entity_id']}")["id"] == card["id"]
    assert api.post("/api/card", native_card(double.database_id, type="report")).status_code == 400
    api.ok("PUT", f"/api/card/{card['id']}", {"archived": True})
    assert card["id"] not in [c["id"] for c in api.ok("GET", "/api/card")]
    assert card["id"] in [c["id"] for c in api.ok("GET", "/api/card", params={"f": "archived"})]
    assert api.delete(f"/api/card/{card['id']}").status_code == 204
    assert api.get(f"/api/card/{card['id']}").status_code == 404


# ---- collections and search -------------------------------------------------------------------
def test_collection_items_filter_by_model_and_search_finds_exact_names(api: Api, double) -> None:
    collection = api.ok("POST", "/api/collection", {"name": "Items test"})
    child = api.ok("POST", "/api/collection", {"name": "Child", "parent_id": collection["id"]})
    assert child["location"] == f"/{collection['id']}/"
    card = api.ok(
        "POST",
        "/api/card",
        native_card(double.database_id, name="Unique card 7", collection_id=collection["id"]),
    )
    api.ok("POST", "/api/dashboard", {"name": "Unique dash 7", "collection_id": collection["id"]})
    items = api.ok(
        "GET", f"/api/collection/{collection['id']}/items", params={"models": ["card", "dashboard"]}
    )
    assert {(i["model"], i["name"]) for i in items["data"]} == {
        ("card", "Unique card 7"),
        ("dashboard", "Unique dash 7"),
    }
    assert items["total"] == 2
    everything = api.ok("GET", f"/api/collection/{collection['id']}/items")
    assert {i["model"] for i in everything["data"]} == {"card", "dashboard", "collection"}
    found = api.ok("GET", "/api/search", params={"q": "Unique card 7", "models": "card"})
    assert [(r["id"], r["model"]) for r in found["data"]] == [(card["id"], "card")]
    api.ok("PUT", f"/api/collection/{collection['id']}", {"archived": True})
    archived_ids = [c["id"] for c in api.ok("GET", "/api/collection", params={"archived": "true"})]
    assert collection["id"] in archived_ids and child["id"] in archived_ids
    assert api.ok("GET", f"/api/card/{card['id']}")["archived"] is True
