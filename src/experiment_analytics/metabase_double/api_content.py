"""Cards (questions, models, metrics): create, read, update, archive, delete, and running them
(POST /api/card/{id}/query, POST /api/dataset) on the real PostgreSQL."""

from __future__ import annotations

import copy
import json
from typing import Any

from experiment_analytics.metabase_double import mbql, native_query
from experiment_analytics.metabase_double import validation as v
from experiment_analytics.metabase_double.api_alerts import remove_card_alerts
from experiment_analytics.metabase_double.errors import bad_request, forbidden, invalid
from experiment_analytics.metabase_double.routing import ID, REF, Request, Response, route
from experiment_analytics.metabase_double.spark_warehouse import SparkWarehouse, run_spark
from experiment_analytics.metabase_double.state import State, nanoid, now
from experiment_analytics.native_query import QueryError, compile_native, qualified_column

CARD_TYPES = ("question", "model", "metric")
# The keys POST /api/card keeps (SERVER-BEHAVIOUR.md §1; `document_id` only in recent versions,
# which the double does not model). `result_metadata` is not stored as sent either: the server
# computes it, using the client's only as hints for a model's columns.
CARD_CREATE_KEYS = (
    "dataset_query",
    "description",
    "display",
    "name",
    "visualization_settings",
    "parameters",
    "parameter_mappings",
    "collection_id",
    "collection_position",
    "cache_ttl",
    "type",
    "dashboard_id",
)


def _resolve_collection_ref(req: Request, value: int | str | None) -> int | None:
    if isinstance(value, str):
        found = next((c for c in req.state.collections.values() if c["entity_id"] == value), None)
        if found is None:
            raise invalid("collection_id", f"no collection with entity_id {value}.")
        return found["id"]
    return value


# ---- cards ----------------------------------------------------------------------------------
def card_json(req: Request, card: dict[str, Any], legacy: bool | None = None) -> dict[str, Any]:
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


def _check_card_query(req: Request, card_type: str, stored: dict[str, Any]) -> None:
    """What the server checks beyond the schema: a field filter's field must belong to the
    query's database, and a native model may have no variable or field filter at all."""
    if stored.get("type") != "native":
        return
    tags = (stored.get("native") or {}).get("template-tags") or {}
    for name, tag in tags.items():
        if tag.get("type") in ("dimension", "temporal-unit"):
            field = req.state.fields.get(mbql.field_id_of(tag.get("dimension")) or 0)
            table = field and req.state.tables.get(field["table_id"])
            if not table or table["db_id"] != stored.get("database"):
                raise invalid(
                    "dataset_query",
                    f"field filter {name!r} targets {tag.get('dimension')!r}, which is not a "
                    f"field of database {stored.get('database')}.",
                )
    variables = sorted(n for n, t in tags.items() if t.get("type") not in ("snippet", "card"))
    if card_type == "model" and variables:
        raise bad_request(
            "A model made from a native SQL question cannot have a variable or field filter "
            f"(found: {', '.join(variables)})."
        )


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
        result.append(card_json(req, card))
    return result


@route("POST", "/api/card")
def create_card(req: Request) -> Any:
    state = req.state
    body = v.require_object(req.body)
    v.str1(body, "entity_id")  # the schema checks its type; the server then drops it
    result_metadata = v.array(body, "result_metadata")
    # Like the server, build the card from CARD_CREATE_KEYS only: a client's `entity_id` (and
    # anything else it sent) is dropped, and the identity is generated here.
    body = {key: body[key] for key in CARD_CREATE_KEYS if key in body}
    name = v.str1(body, "name", required=True)
    if "dataset_query" not in body or body["dataset_query"] is None:
        raise invalid("dataset_query", "value must be a map.")
    mbql.validate(body["dataset_query"])
    display = v.str1(body, "display", required=True)
    if "visualization_settings" not in body:
        raise invalid("visualization_settings", "value must be a map.")
    settings = v.mapping(body, "visualization_settings", required=True)
    card_type = v.enum(body, "type", CARD_TYPES) or "question"
    description = v.str1(body, "description")
    collection_id = _resolve_collection_ref(
        req, v.collection_ref(body, "collection_id", allow_nanoid=True)
    )
    dashboard_id = v.integer(body, "dashboard_id")
    if dashboard_id is not None:
        if dashboard_id not in state.dashboards:
            raise invalid("dashboard_id", f"no dashboard with id {dashboard_id}.")
        collection_id = state.dashboards[dashboard_id]["collection_id"]
    req.check_collection(collection_id)
    card_id = state.next_id("card")
    stamp = now()
    card = {
        "id": card_id,
        "entity_id": nanoid(),
        "name": name,
        "description": description,
        "type": card_type,
        "display": display,
        "visualization_settings": settings,
        "collection_id": collection_id,
        "collection_position": v.integer(body, "collection_position"),
        "dashboard_id": dashboard_id,
        "dashboard_tab_id": None,
        "parameters": v.parameters(body) or [],
        "parameter_mappings": v.parameter_mappings(body) or [],
        "result_metadata": result_metadata,
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
    _check_card_query(req, card_type, card["_query"])
    state.cards[card_id] = card
    return card_json(req, card)


@route("GET", f"/api/card/{REF}")
def get_card(req: Request) -> Any:
    card = req.lookup(req.state.cards)
    req.require_read(card)
    return card_json(req, card)


@route("PUT", f"/api/card/{ID}")
def update_card(req: Request) -> Any:
    state = req.state
    card = req.lookup(state.cards)
    req.require_write(card)
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
        req.check_collection(collection_id)
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
    if "type" in updates or "_query" in updates:
        _check_card_query(
            req, updates.get("type", card["type"]), updates.get("_query", card["_query"])
        )
    if archived:  # to the Trash; the alerts on the card are removed
        remove_card_alerts(req, card["id"])
    card.update(updates)
    card["updated_at"] = now()
    card["last-edit-info"] = {**card["last-edit-info"], "timestamp": card["updated_at"]}
    return card_json(req, card)


@route("DELETE", f"/api/card/{ID}")
def delete_card(req: Request) -> Any:
    card = req.lookup(req.state.cards)
    req.require_write(card)
    del req.state.cards[card["id"]]
    remove_card_alerts(req, card["id"])
    for dashboard in req.state.dashboards.values():
        dashboard["_dashcards"] = [
            d for d in dashboard["_dashcards"] if d.get("card_id") != card["id"]
        ]
    return Response(204, None)


def _column_of(state: State, db_id: int):
    database = state.databases.get(db_id) or {}

    def column(field_id: int) -> str | None:
        field = state.fields.get(field_id)
        if field is None:
            return None
        table = state.tables[field["table_id"]]
        if table["db_id"] != db_id:
            return None
        return qualified_column(
            (table["schema"], table["name"], field["name"]), database.get("engine", "postgres")
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
    run = run_spark if isinstance(settings, SparkWarehouse) else native_query.run
    result = run(
        settings, compiled, database_id=legacy["database"], json_query=legacy, context=context
    )
    return Response(202, result)


@route("POST", f"/api/card/{REF}/query", locked=False)
def run_card(req: Request) -> Any:
    with req.state.lock:
        card = req.lookup(req.state.cards)
        req.require_read(card)
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
