"""Collections: CRUD, archive (Trash), items."""

from __future__ import annotations

from typing import Any

from experiment_analytics.metabase_double import validation as v
from experiment_analytics.metabase_double.errors import ApiError, forbidden, invalid
from experiment_analytics.metabase_double.routing import ID, REF, Request, Response, route
from experiment_analytics.metabase_double.state import State

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
    req.check_collection(parent_id)
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
    if req.params["id"] == str(req.state.trash_id):
        return req.state.trash_json()
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
        req.check_collection(parent_id)
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


def _collection_items(req: Request, collection_id: int | None, trash: bool = False) -> Any:
    """The items of a collection (or of the Trash: whatever was archived directly)."""
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

    def placed(entity: dict[str, Any], parent: int | None) -> bool:
        if trash:
            return bool(entity["archived"] and entity.get("archived_directly"))
        return parent == collection_id and entity["archived"] == archived

    for card in state.cards.values():
        if not placed(card, card["collection_id"]):
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
        if placed(dashboard, dashboard["collection_id"]) and wanted("dashboard"):
            items.append(_item(state, "dashboard", dashboard))
    for child in state.collections.values():
        if placed(child, state.parent_id(child)):
            if state.personal_owner(child) is not None and collection_id is None and not trash:
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


@route("GET", "/api/collection/trash")
def get_trash(req: Request) -> Any:
    """The Trash (0.50+): where `archived: true` moves cards, dashboards and collections."""
    return req.state.trash_json()


@route("GET", f"/api/collection/{REF}/items")
def collection_items(req: Request) -> Any:
    if req.params["id"] == str(req.state.trash_id):
        return _collection_items(req, None, trash=True)
    collection = req.lookup(req.state.collections)
    if req.state.collection_permission(req.admin, collection["id"]) == "none":
        raise forbidden()
    return _collection_items(req, collection["id"])
