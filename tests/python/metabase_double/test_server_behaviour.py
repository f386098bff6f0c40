"""What a real Metabase does that its schema does not say (SERVER-BEHAVIOUR.md), one test per
fact: built-in groups, subscriptions, notifications, native models, archiving, strict graphs."""

from __future__ import annotations

import re

import pytest

from experiment_analytics.metabase_double import MetabaseDouble
from experiment_analytics.metabase_double.api_content import CARD_CREATE_KEYS
from metabase_double.conftest import Api, field_id, native_card

NANOID = re.compile(r"^[A-Za-z0-9_-]{21}$")


# ---- identity ---------------------------------------------------------------------------------
def test_the_server_assigns_identity_and_ignores_a_client_entity_id(api: Api, double) -> None:
    chosen = "client_chosen_id_0001"
    first = api.ok("POST", "/api/card", native_card(double.database_id, entity_id=chosen))
    second = api.ok("POST", "/api/card", native_card(double.database_id, entity_id=chosen))
    assert first["id"] != second["id"]
    assert chosen not in (first["entity_id"], second["entity_id"])
    assert first["entity_id"] != second["entity_id"]
    assert all(NANOID.match(c["entity_id"]) for c in (first, second))
    assert api.get(f"/api/card/{chosen}").status_code == 404
    collection = api.ok("POST", "/api/collection", {"name": "Eid", "entity_id": chosen})
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Eid", "entity_id": chosen})
    for created in (collection, dashboard):
        assert NANOID.match(created["entity_id"]) and created["entity_id"] != chosen
    assert api.get(f"/api/dashboard/{chosen}").status_code == 404
    assert api.get(f"/api/collection/{chosen}/items").status_code == 404


def test_card_create_keeps_only_the_keys_the_server_keeps(api: Api, double) -> None:
    assert "entity_id" not in CARD_CREATE_KEYS and "archived" not in CARD_CREATE_KEYS
    extra = {
        "archived": True,
        "enable_embedding": True,
        "embedding_params": {"x": "enabled"},
        "dataset": True,  # the pre-0.49 model flag is not a kept key
        "public_uuid": "00000000-0000-0000-0000-000000000000",
        "dashboard_tab_id": 3,
    }
    card = api.ok("POST", "/api/card", native_card(double.database_id, **extra))
    assert card["archived"] is False and card["enable_embedding"] is False
    assert card["embedding_params"] is None and card["public_uuid"] is None
    assert card["type"] == "question" and card["dashboard_tab_id"] is None


# ---- built-in groups ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tenants", "all_users"), [(False, "All Users"), (True, "All internal users")]
)
def test_builtin_groups_carry_magic_group_type(tenants: bool, all_users: str) -> None:
    with MetabaseDouble(sync_delay_seconds=0, tenants=tenants) as double:
        api = Api(double.url, {"X-API-KEY": double.api_key})
        api.ok("POST", "/api/permissions/group", {"name": "Analysts"})
        groups = {g["name"]: g["magic_group_type"] for g in api.ok("GET", "/api/permissions/group")}
    assert groups == {all_users: "all-internal-users", "Administrators": "admin", "Analysts": None}


# ---- dashboard subscriptions (/api/pulse) -------------------------------------------------------
def _subscription(api: Api, double: MetabaseDouble, collection_id: int | None) -> tuple[dict, dict]:
    dashboard = api.ok(
        "POST", "/api/dashboard", {"name": "Subscribed", "collection_id": collection_id}
    )
    card = api.ok("POST", "/api/card", native_card(double.database_id, collection_id=collection_id))
    channel = {
        "channel_type": "email",
        "enabled": True,
        "schedule_type": "daily",
        "schedule_hour": 8,
        "recipients": [{"email": "team@example.com"}],
    }
    pulse = api.ok(
        "POST",
        "/api/pulse",
        {
            "name": "Daily",
            "dashboard_id": dashboard["id"],
            "collection_id": None,  # whatever is sent, the pulse lives with its dashboard
            "cards": [{"id": card["id"], "include_csv": False, "include_xls": False}],
            "channels": [channel],
        },
    )
    return dashboard, pulse


def test_subscription_cannot_change_dashboard_or_collection(api: Api, double) -> None:
    home = api.ok("POST", "/api/collection", {"name": "Pulse home"})
    other = api.ok("POST", "/api/collection", {"name": "Pulse elsewhere"})
    dashboard, pulse = _subscription(api, double, home["id"])
    assert pulse["collection_id"] == home["id"]
    other_dashboard = api.ok("POST", "/api/dashboard", {"name": "Other dashboard"})
    path = f"/api/pulse/{pulse['id']}"
    moved = api.put(path, {"dashboard_id": other_dashboard["id"]})
    assert moved.status_code == 400 and "dashboard_id" in moved.json()["message"]
    refiled = api.put(path, {"collection_id": other["id"]})
    assert refiled.status_code == 400 and "collection_id" in refiled.json()["message"]
    same = api.ok("PUT", path, {"dashboard_id": dashboard["id"], "collection_id": home["id"]})
    assert same["dashboard_id"] == dashboard["id"]
    # When the dashboard moves, its subscription moves with it.
    api.ok("PUT", f"/api/dashboard/{dashboard['id']}", {"collection_id": other["id"]})
    assert api.ok("GET", path)["collection_id"] == other["id"]


def test_archiving_a_subscription_disables_its_channels(api: Api, double) -> None:
    _, pulse = _subscription(api, double, None)
    path = f"/api/pulse/{pulse['id']}"
    archived = api.ok("PUT", path, {"archived": True})
    assert [c["enabled"] for c in archived["channels"]] == [False]
    restored = api.ok("PUT", path, {"archived": False})
    assert restored["archived"] is False
    # Un-archiving leaves the channels off: the client must send them enabled again.
    assert [c["enabled"] for c in restored["channels"]] == [False]


# ---- notifications (alerts) ---------------------------------------------------------------------
def _alert_body(card_id: int, *handlers: dict) -> dict:
    return {
        "payload_type": "notification/card",
        "payload": {"card_id": card_id},
        "handlers": list(handlers),
        "subscriptions": [
            {"type": "notification-subscription/cron", "cron_schedule": "0 0 9 * * ?"}
        ],
    }


def _email(*user_ids: int) -> dict:
    recipients = [{"type": "notification-recipient/user", "user_id": u} for u in user_ids]
    return {"channel_type": "channel/email", "recipients": recipients}


def _slack(channel: str) -> dict:
    recipient = {"type": "notification-recipient/raw-value", "details": {"value": channel}}
    return {"channel_type": "channel/slack", "recipients": [recipient]}


def test_notification_handlers_are_matched_by_id(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    created = api.ok("POST", "/api/notification", _alert_body(card["id"], _email(1), _slack("#a")))
    email, slack = created["handlers"]
    # The email handler is sent back with its id, the slack one without: the first keeps its
    # id, the second is deleted and inserted again under a new id.
    body = {**created, "handlers": [{**email}, _slack("#b")]}
    updated = api.ok("PUT", f"/api/notification/{created['id']}", body)
    new_email, new_slack = updated["handlers"]
    assert new_email["id"] == email["id"]
    assert new_email["recipients"][0]["id"] == email["recipients"][0]["id"]
    assert new_slack["id"] not in (email["id"], slack["id"])
    assert new_slack["recipients"][0]["details"] == {"value": "#b"}
    assert updated["subscriptions"][0]["id"] == created["subscriptions"][0]["id"]


def test_inactive_notification_has_no_schedule_triggers(api: Api, double) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    created = api.ok("POST", "/api/notification", _alert_body(card["id"], _email(1)))
    assert double.scheduled_triggers()[created["id"]] == ["0 0 9 * * ?"]
    api.ok("PUT", f"/api/notification/{created['id']}", {**created, "active": False})
    assert created["id"] not in double.scheduled_triggers()
    api.ok("PUT", f"/api/notification/{created['id']}", {**created, "active": True})
    assert double.scheduled_triggers()[created["id"]] == ["0 0 9 * * ?"]


@pytest.mark.parametrize(
    "details",
    [{"value": "#ok", "channel": "#ok"}, {"value": "a@example.com", "is_optional": True}],
)
def test_raw_value_recipient_details_are_a_closed_map(api: Api, double, details: dict) -> None:
    card = api.ok("POST", "/api/card", native_card(double.database_id))
    handler = {
        "channel_type": "channel/email",
        "recipients": [{"type": "notification-recipient/raw-value", "details": details}],
    }
    response = api.post("/api/notification", _alert_body(card["id"], handler))
    assert response.status_code == 400
    assert "handlers[0].recipients[0].details" in response.json()["errors"]


def test_archiving_a_card_removes_its_alerts_and_moves_it_to_the_trash(api: Api, double) -> None:
    collection = api.ok("POST", "/api/collection", {"name": "Soon trashed"})
    card = api.ok(
        "POST", "/api/card", native_card(double.database_id, collection_id=collection["id"])
    )
    alert = api.ok("POST", "/api/notification", _alert_body(card["id"], _email(1)))
    api.ok("PUT", f"/api/card/{card['id']}", {"archived": True})
    assert api.get(f"/api/notification/{alert['id']}").status_code == 404
    assert alert["id"] not in double.scheduled_triggers()
    trash = api.ok("GET", "/api/collection/trash")
    assert trash["type"] == "trash"
    assert api.ok("GET", f"/api/collection/{trash['id']}") == trash
    trashed = api.ok("GET", f"/api/collection/{trash['id']}/items")["data"]
    assert (card["id"], "card") in [(i["id"], i["model"]) for i in trashed]
    here = api.ok("GET", f"/api/collection/{collection['id']}/items")["data"]
    assert card["id"] not in [i["id"] for i in here]
    restored = api.ok("PUT", f"/api/card/{card['id']}", {"archived": False})
    assert restored["archived"] is False and restored["collection_id"] == collection["id"]
    trashed = api.ok("GET", f"/api/collection/{trash['id']}/items")["data"]
    assert card["id"] not in [i["id"] for i in trashed if i["model"] == "card"]


# ---- native models and field filters ------------------------------------------------------------
def _tagged_query(database_id: int, tag: dict) -> dict:
    return {
        "database": database_id,
        "type": "native",
        "native": {"query": "select 1 where {{t}}", "template-tags": {"t": tag}},
    }


def test_native_models_with_variables_or_field_filters_are_refused(api: Api, double) -> None:
    variable = {"name": "t", "display-name": "T", "type": "text"}
    fid = field_id(api, double.database_id, "experiments", "experiment_id")
    field_filter = {**variable, "type": "dimension", "dimension": ["field", fid, None]}
    for tag in (variable, field_filter):
        query = _tagged_query(double.database_id, tag)
        model = api.post(
            "/api/card",
            {**native_card(double.database_id), "type": "model", "dataset_query": query},
        )
        assert model.status_code == 400, model.text
        assert "cannot have a variable or field filter" in model.json()["message"]
        question = api.ok(
            "POST", "/api/card", {**native_card(double.database_id), "dataset_query": query}
        )
        turned = api.put(f"/api/card/{question['id']}", {"type": "model"})
        assert turned.status_code == 400
        assert api.ok("GET", f"/api/card/{question['id']}")["type"] == "question"
    plain = api.ok("POST", "/api/card", {**native_card(double.database_id), "type": "model"})
    assert plain["type"] == "model"


def test_field_filter_fields_must_belong_to_the_query_database(
    api: Api, double, mb_warehouse
) -> None:
    details = {
        "host": mb_warehouse.host,
        "port": mb_warehouse.port,
        "user": mb_warehouse.user,
        "password": mb_warehouse.password,
        "dbname": mb_warehouse.dbname,
    }
    other = api.ok(
        "POST",
        "/api/database",
        {"name": "Other warehouse", "engine": "postgres", "details": details},
    )
    for thread in list(double.state.sync_threads):
        thread.join(timeout=30)  # wait for the asynchronous sync, not for a time
    foreign = field_id(api, other["id"], "experiments", "experiment_id")
    tag = {
        "name": "t",
        "display-name": "T",
        "type": "dimension",
        "dimension": ["field", foreign, None],
    }
    for dimension_field in (foreign, 99999999):
        tag["dimension"] = ["field", dimension_field, None]
        query = _tagged_query(double.database_id, tag)
        response = api.post(
            "/api/card", {**native_card(double.database_id), "dataset_query": query}
        )
        assert response.status_code == 400 and "dataset_query" in response.json()["errors"]
    own = field_id(api, double.database_id, "experiments", "experiment_id")
    tag["dimension"] = ["field", own, None]
    query = _tagged_query(double.database_id, tag)
    api.ok("POST", "/api/card", {**native_card(double.database_id), "dataset_query": query})


# ---- permission graphs --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"cell": {"view-data": "unrestricted", "colour": "blue"}},
        {"cell": {"download": {"schemas": "full", "native": "full"}}},
        {"cell": {"data": {"schemas": "all", "extra": 1}}},
        {"top": {"groupz": {}}},
    ],
)
def test_data_permission_graph_is_decoded_strictly(api: Api, double, change: dict) -> None:
    group = api.ok(
        "POST", "/api/permissions/group", {"name": f"Strict {sorted(change)} {id(change)}"}
    )
    graph = api.ok("GET", "/api/permissions/graph")
    cell = change.get("cell", {"view-data": "unrestricted"})
    body = {
        "revision": graph["revision"],
        "groups": {str(group["id"]): {str(double.database_id): cell}},
    }
    body.update(change.get("top", {}))
    response = api.put("/api/permissions/graph", body)
    assert response.status_code == 400, response.text
    assert api.ok("GET", "/api/permissions/graph")["revision"] == graph["revision"]


def test_permission_graphs_are_revision_checked_unless_forced(api: Api, double) -> None:
    group = api.ok("POST", "/api/permissions/group", {"name": "Revisioned"})
    db = str(double.database_id)
    graph = api.ok("GET", "/api/permissions/graph")
    cell = {str(group["id"]): {db: {"view-data": "unrestricted", "create-queries": "no"}}}
    api.ok("PUT", "/api/permissions/graph", {"revision": graph["revision"], "groups": cell})
    stale = {"revision": graph["revision"], "groups": cell}  # the same revision, sent again
    assert api.put("/api/permissions/graph", stale).status_code == 409
    forced = api.ok("PUT", "/api/permissions/graph", stale, params={"force": "true"})
    assert forced["revision"] == graph["revision"] + 2
    collections = api.ok("GET", "/api/collection/graph")
    again = {"revision": collections["revision"] - 1, "groups": {}}
    assert api.put("/api/collection/graph", again).status_code == 409
