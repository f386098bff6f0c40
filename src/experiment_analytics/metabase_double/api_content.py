"""Collections, cards (and running them), dashboards with their dashcards and tabs."""

from __future__ import annotations

import copy
import json
from typing import Any

from experiment_analytics.metabase_double import mbql, native_query
from experiment_analytics.metabase_double import validation as v
from experiment_analytics.metabase_double.errors import ApiError, forbidden, invalid, not_found
from experiment_analytics.metabase_double.routing import ID, REF, Request, Response, route
from experiment_analytics.metabase_double.state import State, nanoid, now
from experiment_analytics.native_query import QueryError, compile_native

CARD_TYPES = ("question", "model", "metric")
_ITEM_MODEL = {"question": "card", "model": "dataset", "metric": "metric"}
ITEM_MODELS = (
    "dashboard",
    "table",
    "dataset",
    "no_models",
    "timeline",
    "snippet",
    "collection",
    "transform",
    "document",
    "pulse",
    "metric",
    "card",
)


def _read(req: Request, item: dict[str, Any]) -> None:
    if req.state.item_permission(req.admin, item) == "none":
        raise forbidden()


def _write(req: Request, item: dict[str, Any]) -> None:
    if req.state.item_permission(req.admin, item) != "write":
        raise forbidden()


def _check_collection(req: Request, collection_id: int | None, *, write: bool = True) -> None:
    if collection_id is not None and collection_id not in req.state.collections:
        raise invalid("collection_id", f"no collection with id {collection_id}.")
    key: int | str = "root" if collection_id is None else collection_id
    perm = req.state.collection_permission(req.admin, key)
    if perm == "none" or (write and perm != "write"):
        raise forbidden()


def _resolve_collection_ref(req: Request, value: int | str | None) -> int | None:
    if isinstance(value, str):
        found = next((c for c in req.state.collections.values() if c["entity_id"] == value), None)
        if found is None:
            raise invalid("collection_id", f"no collection with entity_id {value}.")
        return found["id"]
    return value


# ---- collections ----------------------------------------------------------------------------
@route("GET", "/api/collection")
def list_collections(req: Request) -> Any:
    archived = req.flag("archived")
    exclude_others = req.flag("exclude-other-user-collections")
    result = [] if archived else [req.state.root_collection_json(req.admin)]
    for collection in sorted(req.state.collections.values(), key=lambda c: c["id"]):
        if collection["archived"] != archived:
            continue
        owner = req.state.personal_owner(collection)
        if exclude_others and owner is not None and owner != req.admin["id"]:
            continue
        if req.state.collection_permission(req.admin, collection["id"]) == "none":
            continue
        result.append(req.state.collection_json(collection, req.admin))
    return result


@route("POST", "/api/collection")
def create_collection(req: Request) -> Any:
    body = v.require_object(req.body)
    name = v.str1(body, "name", required=True)
    description = v.str1(body, "description")
    parent_id = v.integer(body, "parent_id")
    authority_level = v.enum(body, "authority_level", ("official",))
    namespace = v.str1(body, "namespace")
    if parent_id is not None and parent_id not in req.state.collections:
        raise invalid("parent_id", f"no collection with id {parent_id}.")
    _check_collection(req, parent_id)
    collection = req.state.create_collection(
        name=name,
        description=description,
        parent_id=parent_id,
        authority_level=authority_level,
        namespace=namespace,
    )
    return req.state.collection_json(collection, req.admin)


@route("GET", "/api/collection/root")
def get_root_collection(req: Request) -> Any:
    return req.state.root_collection_json(req.admin)


@route("GET", f"/api/collection/{REF}")
def get_collection(req: Request) -> Any:
    collection = req.lookup(req.state.collections)
    if req.state.collection_permission(req.admin, collection["id"]) == "none":
        raise forbidden()
    return req.state.collection_json(collection, req.admin)


@route("PUT", f"/api/collection/{ID}")
def update_collection(req: Request) -> Any:
    state = req.state
    collection = req.lookup(state.collections)
    if state.collection_permission(req.admin, collection["id"]) != "write":
        raise forbidden()
    body = v.require_object(req.body)
    if "name" in body and body["name"] is not None:
        collection["name"] = v.str1(body, "name")
    if "description" in body:
        collection["description"] = v.str1(body, "description")
    if "authority_level" in body:
        collection["authority_level"] = v.enum(body, "authority_level", ("official",))
    if "parent_id" in body:
        parent_id = v.integer(body, "parent_id")
        if parent_id is not None and parent_id not in state.collections:
            raise invalid("parent_id", f"no collection with id {parent_id}.")
        if parent_id == collection["id"] or (
            parent_id is not None
            and f"/{collection['id']}/" in state.collections[parent_id]["location"]
        ):
            raise invalid("parent_id", "a collection cannot be moved into itself.")
        _check_collection(req, parent_id)
        old_prefix = collection["location"] + f"{collection['id']}/"
        collection["location"] = (
            "/"
            if parent_id is None
            else (state.collections[parent_id]["location"] + f"{parent_id}/")
        )
        new_prefix = collection["location"] + f"{collection['id']}/"
        for child in state.collections.values():
            if child["location"].startswith(old_prefix):
                child["location"] = new_prefix + child["location"][len(old_prefix) :]
    archived = v.boolean(body, "archived")
    if archived is not None and archived != collection["archived"]:
        _archive_collection(state, collection, archived)
    return state.collection_json(collection, req.admin)


def _archive_collection(state: State, collection: dict[str, Any], archived: bool) -> None:
    """Trash (or restore) a collection with its descendants and their items (Metabase 0.50+)."""
    inside = [collection, *state.descendants(collection["id"])]
    ids = {c["id"] for c in inside}
    for item in inside:
        if item is collection:
            item["archived"], item["archived_directly"] = archived, archived or None
        elif not item["archived_directly"]:  # descendants trashed directly stay trashed
            item["archived"], item["archived_directly"] = archived, False if archived else None
    for item in [*state.cards.values(), *state.dashboards.values()]:
        if item["collection_id"] in ids and not item.get("archived_directly"):
            item["archived"] = archived


@route("DELETE", f"/api/collection/{ID}")
def delete_collection(req: Request) -> Any:
    collection = req.lookup(req.state.collections)
    if req.state.collection_permission(req.admin, collection["id"]) != "write":
        raise forbidden()
    if not collection["archived"]:
        raise ApiError(400, {"message": "Collection must be trashed before deletion."})
    for item in [collection, *req.state.descendants(collection["id"])]:
        for store in (req.state.cards, req.state.dashboards):
            for key in [k for k, e in store.items() if e["collection_id"] == item["id"]]:
                del store[key]
        del req.state.collections[item["id"]]
    return Response(204, None)


def _collection_items(req: Request, collection_id: int | None) -> Any:
    state = req.state
    models = req.args("models")
    for model in models:
        if model not in ITEM_MODELS:
            raise invalid("models", f"value must be one of: {', '.join(ITEM_MODELS)}.")
    archived = req.flag("archived")
    show_dashboard_questions = req.flag("show_dashboard_questions")
    items: list[dict[str, Any]] = []

    def wanted(model: str) -> bool:
        return not models or model in models

    for card in state.cards.values():
        if card["collection_id"] != collection_id or card["archived"] != archived:
            continue
        if card["dashboard_id"] is not None and not show_dashboard_questions:
            continue
        model = _ITEM_MODEL[card["type"]]
        if wanted(model):
            items.append(
                _item(
                    state,
                    model,
                    card,
                    display=card["display"],
                    database_id=card["database_id"],
                    dashboard_id=card["dashboard_id"],
                    moderated_status=None,
                    fully_parameterized=True,
                )
            )
    for dashboard in state.dashboards.values():
        here = dashboard["collection_id"] == collection_id and dashboard["archived"] == archived
        if here and wanted("dashboard"):
            items.append(_item(state, "dashboard", dashboard))
    for child in state.collections.values():
        if state.parent_id(child) == collection_id and child["archived"] == archived:
            if state.personal_owner(child) is not None and collection_id is None:
                continue
            if (
                wanted("collection")
                and state.collection_permission(req.admin, child["id"]) != "none"
            ):
                items.append(
                    _item(
                        state,
                        "collection",
                        child,
                        location=child["location"],
                        authority_level=child["authority_level"],
                    )
                )
    for pulse in state.pulses.values():
        here = pulse["collection_id"] == collection_id and pulse["archived"] == archived
        if here and "pulse" in models:
            items.append(_item(state, "pulse", pulse))
    order = {"dashboard": 0, "dataset": 1, "metric": 2, "card": 3, "collection": 4, "pulse": 5}
    items.sort(key=lambda i: (order.get(i["model"], 9), i["name"].lower()))
    limit = int(req.arg("limit") or 0) or None
    offset = int(req.arg("offset") or 0)
    page = items[offset : offset + limit] if limit else items[offset:]
    return {
        "data": page,
        "total": len(items),
        "models": models or None,
        "limit": limit,
        "offset": offset or None,
    }


def _item(state: State, model: str, entity: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "id": entity["id"],
        "name": entity["name"],
        "description": entity.get("description"),
        "collection_id": entity.get("collection_id"),
        "collection_position": entity.get("collection_position"),
        "archived": entity.get("archived", False),
        "entity_id": entity.get("entity_id"),
        "can_write": True,
        "last-edit-info": {"id": 1, "timestamp": entity.get("updated_at")},
        **extra,
    }


@route("GET", "/api/collection/root/items")
def root_items(req: Request) -> Any:
    return _collection_items(req, None)


@route("GET", f"/api/collection/{REF}/items")
def collection_items(req: Request) -> Any:
    collection = req.lookup(req.state.collections)
    if req.state.collection_permission(req.admin, collection["id"]) == "none":
        raise forbidden()
    return _collection_items(req, collection["id"])


# ---- cards ----------------------------------------------------------------------------------
def _card_json(req: Request, card: dict[str, Any], legacy: bool | None = None) -> dict[str, Any]:
    state = req.state
    body = {k: val for k, val in card.items() if not k.startswith("_")}
    stored = card["_query"]
    if legacy is None:
        legacy = req.flag("legacy-mbql") or req.level < 57
    body["dataset_query"] = (
        copy.deepcopy(stored) if legacy else mbql.to_mbql5(stored, seed=f"card:{card['id']}")
    )
    if req.level >= 57:
        body["legacy_query"] = json.dumps(stored)
    creator = state.users.get(card["creator_id"])
    body["creator"] = state.user_json(creator) if creator else None
    collection_id = card["collection_id"]
    body["collection"] = (
        state.collection_json(state.collections[collection_id], req.admin)
        if collection_id in state.collections
        else state.root_collection_json(req.admin)
    )
    body["can_write"] = state.item_permission(req.admin, card) == "write"
    body["dashboard_count"] = sum(
        1
        for d in state.dashboards.values()
        if any(dc.get("card_id") == card["id"] for dc in d["_dashcards"])
    )
    body["metabase_version"] = state.version
    return body


def _query_fields(req: Request, query: dict[str, Any]) -> dict[str, Any]:
    legacy = mbql.to_legacy(query) if query else {}
    database_id = legacy.get("database") if legacy else None
    if legacy and database_id not in req.state.databases:
        raise invalid("dataset_query", f"no database with id {database_id}.")
    table_id = None
    if legacy.get("type") == "query":
        source = legacy["query"].get("source-table")
        table_id = source if isinstance(source, int) else None
    return {
        "_query": legacy,
        "database_id": database_id,
        "table_id": table_id,
        "query_type": legacy.get("type") if legacy else None,
    }


@route("GET", "/api/card")
def list_cards(req: Request) -> Any:
    f = req.arg("f", "all")
    allowed = (
        "archived",
        "table",
        "using_model",
        "bookmarked",
        "using_segment",
        "all",
        "mine",
        "database",
    )
    if f not in allowed:
        raise invalid("f", f"value must be one of: {', '.join(allowed)}.")
    result = []
    for card in req.state.cards.values():
        if card["archived"] != (f == "archived"):
            continue
        if f == "mine" and card["creator_id"] != req.admin["id"]:
            continue
        if req.state.item_permission(req.admin, card) == "none":
            continue
        result.append(_card_json(req, card))
    return result


@route("POST", "/api/card")
def create_card(req: Request) -> Any:
    state = req.state
    body = v.require_object(req.body)
    name = v.str1(body, "name", required=True)
    if "dataset_query" not in body or body["dataset_query"] is None:
        raise invalid("dataset_query", "value must be a map.")
    mbql.validate(body["dataset_query"])
    display = v.str1(body, "display", required=True)
    if "visualization_settings" not in body:
        raise invalid("visualization_settings", "value must be a map.")
    settings = v.mapping(body, "visualization_settings", required=True)
    card_type = v.enum(body, "type", CARD_TYPES) or ("model" if body.get("dataset") else "question")
    description = v.str1(body, "description")
    collection_id = _resolve_collection_ref(
        req, v.collection_ref(body, "collection_id", allow_nanoid=True)
    )
    dashboard_id = v.integer(body, "dashboard_id")
    if dashboard_id is not None:
        if dashboard_id not in state.dashboards:
            raise invalid("dashboard_id", f"no dashboard with id {dashboard_id}.")
        collection_id = state.dashboards[dashboard_id]["collection_id"]
    _check_collection(req, collection_id)
    entity_id = v.str1(body, "entity_id")
    if entity_id and any(c["entity_id"] == entity_id for c in state.cards.values()):
        raise invalid("entity_id", "A card with this entity_id already exists.")
    card_id = state.next_id("card")
    stamp = now()
    card = {
        "id": card_id,
        "entity_id": entity_id or nanoid(),
        "name": name,
        "description": description,
        "type": card_type,
        "display": display,
        "visualization_settings": settings,
        "collection_id": collection_id,
        "collection_position": v.integer(body, "collection_position"),
        "dashboard_id": dashboard_id,
        "dashboard_tab_id": v.integer(body, "dashboard_tab_id"),
        "parameters": v.parameters(body) or [],
        "parameter_mappings": v.parameter_mappings(body) or [],
        "result_metadata": v.array(body, "result_metadata"),
        "cache_ttl": v.integer(body, "cache_ttl"),
        "archived": False,
        "archived_directly": False,
        "enable_embedding": False,
        "embedding_params": None,
        "public_uuid": None,
        "creator_id": req.admin["id"],
        "created_at": stamp,
        "updated_at": stamp,
        "last-edit-info": {
            "id": req.admin["id"],
            "email": req.admin["email"],
            "first_name": req.admin["first_name"],
            "last_name": req.admin["last_name"],
            "timestamp": stamp,
        },
        **_query_fields(req, body["dataset_query"]),
    }
    state.cards[card_id] = card
    return _card_json(req, card)


@route("GET", f"/api/card/{REF}")
def get_card(req: Request) -> Any:
    card = req.lookup(req.state.cards)
    _read(req, card)
    return _card_json(req, card)


@route("PUT", f"/api/card/{ID}")
def update_card(req: Request) -> Any:
    state = req.state
    card = req.lookup(state.cards)
    _write(req, card)
    body = v.require_object(req.body)
    updates: dict[str, Any] = {}
    for key in ("name", "display"):
        if body.get(key) is not None:
            updates[key] = v.str1(body, key)
    if "description" in body:
        updates["description"] = v.string(body, "description")
    if body.get("type") is not None:
        updates["type"] = v.enum(body, "type", CARD_TYPES)
    if body.get("dataset_query") is not None:
        mbql.validate(body["dataset_query"])
        updates.update(_query_fields(req, body["dataset_query"]))
    if body.get("visualization_settings") is not None:
        updates["visualization_settings"] = v.mapping(body, "visualization_settings")
    if "collection_id" in body:
        collection_id = v.collection_ref(body, "collection_id", allow_nanoid=False)
        _check_collection(req, collection_id)
        updates["collection_id"] = collection_id
    for key in ("collection_position", "cache_ttl", "dashboard_id", "dashboard_tab_id"):
        if key in body:
            updates[key] = v.integer(body, key)
    if body.get("parameters") is not None:
        updates["parameters"] = v.parameters(body)
    if body.get("parameter_mappings") is not None:
        updates["parameter_mappings"] = v.parameter_mappings(body)
    if "result_metadata" in body:
        updates["result_metadata"] = v.array(body, "result_metadata")
    if "enable_embedding" in body:
        updates["enable_embedding"] = bool(v.boolean(body, "enable_embedding"))
    if "embedding_params" in body:
        updates["embedding_params"] = v.mapping(body, "embedding_params")
    archived = v.boolean(body, "archived")
    if archived is not None:
        updates["archived"] = archived
        updates["archived_directly"] = archived
    card.update(updates)
    card["updated_at"] = now()
    card["last-edit-info"] = {**card["last-edit-info"], "timestamp": card["updated_at"]}
    return _card_json(req, card)


@route("DELETE", f"/api/card/{ID}")
def delete_card(req: Request) -> Any:
    card = req.lookup(req.state.cards)
    _write(req, card)
    del req.state.cards[card["id"]]
    for dashboard in req.state.dashboards.values():
        dashboard["_dashcards"] = [
            d for d in dashboard["_dashcards"] if d.get("card_id") != card["id"]
        ]
    return Response(204, None)


def _column_of(state: State, db_id: int):
    def column(field_id: int) -> str | None:
        field = state.fields.get(field_id)
        if field is None:
            return None
        table = state.tables[field["table_id"]]
        if table["db_id"] != db_id:
            return None
        return '"{}"."{}"."{}"'.format(
            *(p.replace('"', '""') for p in (table["schema"], table["name"], field["name"]))
        )

    return column


def _execute(req: Request, legacy: dict[str, Any], parameters: list, context: str) -> Any:
    """Compile and run a stored legacy native query; always 202 (failures in the body)."""
    state = req.state
    with state.lock:
        database = state.databases.get(legacy.get("database"))
        settings = database and database["_settings"]
        parts = mbql.native_parts(legacy)
        column_of = _column_of(state, legacy.get("database"))
        # Resolve columns now, under the lock.
        columns: dict[int, str | None] = {fid: column_of(fid) for fid in state.fields}
    base = {
        "database_id": legacy.get("database"),
        "json_query": legacy,
        "context": context,
        "started_at": now(),
    }
    if settings is None:
        return Response(202, native_query.failed("Database does not exist.", base))
    if parts is None:
        return Response(
            202, native_query.failed("The Metabase double runs native SQL queries only.", base)
        )
    sql, tags = parts
    try:
        compiled = compile_native(
            sql, tags, parameters, lambda dimension: columns.get(mbql.field_id_of(dimension))
        )
    except QueryError as exc:
        return Response(202, native_query.failed(str(exc), base))
    result = native_query.run(
        settings, compiled, database_id=legacy["database"], json_query=legacy, context=context
    )
    return Response(202, result)


@route("POST", f"/api/card/{REF}/query", locked=False)
def run_card(req: Request) -> Any:
    with req.state.lock:
        card = req.lookup(req.state.cards)
        _read(req, card)
        permission = req.state.data_permission(req.admin, card["database_id"] or 0)
        legacy = copy.deepcopy(card["_query"])
    if permission["view-data"] == "blocked":
        raise forbidden()
    body = req.body if isinstance(req.body, dict) else {}
    parameters = body.get("parameters") or []
    if not isinstance(parameters, list):
        raise invalid("parameters", "value must be an array.")
    return _execute(req, legacy, parameters, "question")


@route("POST", "/api/dataset", locked=False)
def run_dataset(req: Request) -> Any:
    body = v.require_object(req.body)
    mbql.validate(body, "query")
    legacy = mbql.to_legacy(body)
    with req.state.lock:
        if legacy.get("database") not in req.state.databases:
            raise invalid("database", f"no database with id {legacy.get('database')}.")
        permission = req.state.data_permission(req.admin, legacy["database"])
    if legacy.get("type") == "native" and (
        permission["create-queries"] != "query-builder-and-native"
    ):
        raise forbidden()
    parameters = legacy.get("parameters") or []
    return _execute(req, legacy, parameters, "ad-hoc")


# ---- dashboards -----------------------------------------------------------------------------
def _dashboard_json(req: Request, dashboard: dict[str, Any]) -> dict[str, Any]:
    state = req.state
    body = {k: val for k, val in dashboard.items() if not k.startswith("_")}
    dashcards = []
    for dashcard in dashboard["_dashcards"]:
        entry = copy.deepcopy(dashcard)
        card = state.cards.get(dashcard.get("card_id") or 0)
        entry["card"] = _card_json(req, card) if card else {"dataset_query": {}}
        dashcards.append(entry)
    body["dashcards"] = dashcards
    body["tabs"] = copy.deepcopy(dashboard["_tabs"])
    collection_id = dashboard["collection_id"]
    body["collection"] = (
        state.collection_json(state.collections[collection_id], req.admin)
        if collection_id in state.collections
        else state.root_collection_json(req.admin)
    )
    body["can_write"] = state.item_permission(req.admin, dashboard) == "write"
    return body


@route("GET", "/api/dashboard")
def list_dashboards(req: Request) -> Any:
    f = req.arg("f", "all")
    return [
        _dashboard_json(req, d)
        for d in req.state.dashboards.values()
        if d["archived"] == (f == "archived")
        and req.state.item_permission(req.admin, d) != "none"
        and (f != "mine" or d["creator_id"] == req.admin["id"])
    ]


@route("POST", "/api/dashboard")
def create_dashboard(req: Request) -> Any:
    state = req.state
    body = v.require_object(req.body)
    name = v.str1(body, "name", required=True)
    collection_id = v.integer(body, "collection_id")
    _check_collection(req, collection_id)
    dashboard_id = state.next_id("dashboard")
    stamp = now()
    dashboard = {
        "id": dashboard_id,
        "entity_id": nanoid(),
        "name": name,
        "description": v.string(body, "description"),
        "collection_id": collection_id,
        "collection_position": v.integer(body, "collection_position"),
        "parameters": v.parameters(body) or [],
        "cache_ttl": v.integer(body, "cache_ttl"),
        "width": "fixed",
        "archived": False,
        "archived_directly": False,
        "enable_embedding": False,
        "embedding_params": None,
        "public_uuid": None,
        "caveats": None,
        "points_of_interest": None,
        "show_in_getting_started": False,
        "position": None,
        "auto_apply_filters": True,
        "creator_id": req.admin["id"],
        "created_at": stamp,
        "updated_at": stamp,
        "param_fields": None,
        "last_used_param_values": {},
        "_dashcards": [],
        "_tabs": [],
    }
    state.dashboards[dashboard_id] = dashboard
    return _dashboard_json(req, dashboard)


@route("GET", f"/api/dashboard/{REF}")
def get_dashboard(req: Request) -> Any:
    dashboard = req.lookup(req.state.dashboards)
    _read(req, dashboard)
    return _dashboard_json(req, dashboard)


def _unique_ids(key: str, items: list[Any]) -> None:
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    if len(ids) != len(set(ids)):
        raise invalid(key, "value must be an array of maps with unique ids.")


def _new_tabs(req: Request, dashboard: dict[str, Any], tabs: list[Any]) -> dict[int, int]:
    """Replace the tabs as a set; returns {request id -> stored id} (negative ids are new)."""
    _unique_ids("tabs", tabs)
    existing = {t["id"]: t for t in dashboard["_tabs"]}
    mapping: dict[int, int] = {}
    result = []
    for position, tab in enumerate(tabs):
        if not isinstance(tab, dict) or not isinstance(tab.get("id"), int):
            raise invalid(f"tabs[{position}].id", "value must be an integer.")
        v.str1(tab, "name", required=True)
        if tab["id"] < 0:
            stored = {
                "id": req.state.next_id("tab"),
                "dashboard_id": dashboard["id"],
                "name": tab["name"],
                "position": position,
                "entity_id": nanoid(),
                "created_at": now(),
                "updated_at": now(),
            }
        elif tab["id"] in existing:
            stored = {**existing[tab["id"]], "name": tab["name"], "position": position}
        else:
            raise invalid(f"tabs[{position}].id", f"no tab {tab['id']} on this dashboard.")
        mapping[tab["id"]] = stored["id"]
        result.append(stored)
    dashboard["_tabs"] = result
    return mapping


def _new_dashcards(
    req: Request, dashboard: dict[str, Any], dashcards: list[Any], tab_ids: dict[int, int]
) -> list[dict[str, Any]]:
    state = req.state
    existing = {d["id"]: d for d in dashboard["_dashcards"]}
    result = []
    for index, dashcard in enumerate(dashcards):
        where = f"dashcards[{index}]"
        if not isinstance(dashcard, dict):
            raise invalid(where, "value must be a map.")
        for key, minimum in (("id", None), ("row", 0), ("col", 0), ("size_x", 1), ("size_y", 1)):
            if dashcard.get(key) is None:
                raise invalid(f"{where}.{key}", "value must be an integer.")
            v.integer(dashcard, key, required=True, minimum=minimum)
        card_id = dashcard.get("card_id")
        if card_id is not None and card_id not in state.cards:
            raise invalid(f"{where}.card_id", f"no card with id {card_id}.")
        v.parameter_mappings(dashcard)
        series = v.array(dashcard, "series") or []
        for item in series:
            if not isinstance(item, dict) or item.get("id") not in state.cards:
                raise invalid(f"{where}.series", "each series needs the id of a card.")
        tab_id = dashcard.get("dashboard_tab_id")
        if tab_id is not None:
            if tab_id not in tab_ids and tab_id not in {t["id"] for t in dashboard["_tabs"]}:
                raise invalid(f"{where}.dashboard_tab_id", f"no tab {tab_id} on this dashboard.")
            tab_id = tab_ids.get(tab_id, tab_id)
        fields = {
            "card_id": card_id,
            "dashboard_tab_id": tab_id,
            "row": dashcard["row"],
            "col": dashcard["col"],
            "size_x": dashcard["size_x"],
            "size_y": dashcard["size_y"],
            "parameter_mappings": dashcard.get("parameter_mappings") or [],
            "visualization_settings": dashcard.get("visualization_settings") or {},
            "series": series,
            "inline_parameters": dashcard.get("inline_parameters"),
            "action_id": dashcard.get("action_id"),
            "updated_at": now(),
        }
        if dashcard["id"] < 0:
            stored = {
                "id": state.next_id("dashcard"),
                "dashboard_id": dashboard["id"],
                "entity_id": nanoid(),
                "created_at": now(),
                **fields,
            }
        elif dashcard["id"] in existing:
            stored = {**existing[dashcard["id"]], **fields}
        else:
            raise invalid(f"{where}.id", f"no dashcard {dashcard['id']} on this dashboard.")
        result.append(stored)
    return result


@route("PUT", f"/api/dashboard/{ID}")
def update_dashboard(req: Request) -> Any:
    dashboard = req.lookup(req.state.dashboards)
    _write(req, dashboard)
    body = v.require_object(req.body)
    updates: dict[str, Any] = {}
    if body.get("name") is not None:
        updates["name"] = v.str1(body, "name")
    for key in ("description", "caveats", "points_of_interest"):
        if key in body:
            updates[key] = v.string(body, key)
    if "width" in body:
        updates["width"] = v.enum(body, "width", ("fixed", "full"), required=True)
    if body.get("parameters") is not None:
        updates["parameters"] = v.parameters(body)
    if "collection_id" in body:
        collection_id = v.integer(body, "collection_id")
        _check_collection(req, collection_id)
        updates["collection_id"] = collection_id
    for key in ("collection_position", "cache_ttl", "position"):
        if key in body:
            updates[key] = v.integer(body, key)
    for key in ("enable_embedding", "show_in_getting_started", "auto_apply_filters"):
        if body.get(key) is not None:
            updates[key] = v.boolean(body, key)
    if "embedding_params" in body:
        updates["embedding_params"] = v.mapping(body, "embedding_params")
    archived = v.boolean(body, "archived")
    if archived is not None:
        updates["archived"] = archived
        updates["archived_directly"] = archived
    # Validate everything before changing anything: a 400 leaves the dashboard as it was.
    tabs = v.array(body, "tabs")
    dashcards = v.array(body, "dashcards")
    if dashcards is not None:
        _unique_ids("dashcards", dashcards)
    if tabs is not None:
        _unique_ids("tabs", tabs)
    snapshot = (copy.deepcopy(dashboard["_tabs"]), copy.deepcopy(dashboard["_dashcards"]))
    try:
        tab_ids = _new_tabs(req, dashboard, tabs) if tabs is not None else {}
        if dashcards is not None:
            dashboard["_dashcards"] = _new_dashcards(req, dashboard, dashcards, tab_ids)
    except ApiError:
        dashboard["_tabs"], dashboard["_dashcards"] = snapshot
        raise
    if tabs is not None:
        kept = {t["id"] for t in dashboard["_tabs"]}
        dashboard["_dashcards"] = [
            d
            for d in dashboard["_dashcards"]
            if d["dashboard_tab_id"] is None or d["dashboard_tab_id"] in kept
        ]
    dashboard.update(updates)
    dashboard["updated_at"] = now()
    return _dashboard_json(req, dashboard)


@route("DELETE", f"/api/dashboard/{ID}")
def delete_dashboard(req: Request) -> Any:
    dashboard = req.lookup(req.state.dashboards)
    _write(req, dashboard)
    del req.state.dashboards[dashboard["id"]]
    for card_id in [
        c["id"] for c in req.state.cards.values() if c["dashboard_id"] == dashboard["id"]
    ]:
        del req.state.cards[card_id]
    return Response(204, None)


def _not_found_if_missing(entity: Any) -> None:
    if entity is None:
        raise not_found()
