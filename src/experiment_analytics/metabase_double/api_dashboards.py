"""Dashboards with their dashcards and tabs (PUT replaces them as sets)."""

from __future__ import annotations

import copy
from typing import Any

from experiment_analytics.metabase_double import validation as v
from experiment_analytics.metabase_double.api_content import card_json
from experiment_analytics.metabase_double.errors import ApiError, invalid
from experiment_analytics.metabase_double.routing import ID, REF, Request, Response, route
from experiment_analytics.metabase_double.state import nanoid, now


# ---- dashboards -----------------------------------------------------------------------------
def _dashboard_json(req: Request, dashboard: dict[str, Any]) -> dict[str, Any]:
    state = req.state
    body = {k: val for k, val in dashboard.items() if not k.startswith("_")}
    dashcards = []
    for dashcard in dashboard["_dashcards"]:
        entry = copy.deepcopy(dashcard)
        card = state.cards.get(dashcard.get("card_id") or 0)
        entry["card"] = card_json(req, card) if card else {"dataset_query": {}}
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
    req.check_collection(collection_id)
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
    req.require_read(dashboard)
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
    req.require_write(dashboard)
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
        req.check_collection(collection_id)
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
    req.require_write(dashboard)
    del req.state.dashboards[dashboard["id"]]
    for card_id in [
        c["id"] for c in req.state.cards.values() if c["dashboard_id"] == dashboard["id"]
    ]:
        del req.state.cards[card_id]
    return Response(204, None)
