"""Groups, memberships and the two permission graphs (collections, data)."""

from __future__ import annotations

import copy
from typing import Any

from experiment_analytics.metabase_double import validation as v
from experiment_analytics.metabase_double.errors import ApiError, invalid, not_found, stale_revision
from experiment_analytics.metabase_double.routing import ID, Request, Response, route
from experiment_analytics.metabase_double.state import (
    ADMIN_GROUP_ID,
    COLLECTION_PERMS,
    CREATE_QUERIES,
    DATA_MODEL,
    DETAILS,
    DOWNLOAD,
    VIEW_DATA,
    State,
)


# ---- groups and memberships -----------------------------------------------------------------
def _group_json(state: State, group: dict[str, Any]) -> dict[str, Any]:
    return {**group, "member_count": state.member_count(group["id"])}


@route("GET", "/api/permissions/group")
def list_groups(req: Request) -> Any:
    req.require_superuser()
    return [_group_json(req.state, g) for g in req.state.groups.values()]


@route("POST", "/api/permissions/group")
def create_group(req: Request) -> Any:
    req.require_superuser()
    name = v.str1(v.require_object(req.body), "name", required=True)
    if any(g["name"] == name for g in req.state.groups.values()):
        raise invalid("name", "A group with that name already exists.")
    group_id = req.state.next_id("group")
    req.state.groups[group_id] = {"id": group_id, "name": name, "magic_group_type": None}
    return _group_json(req.state, req.state.groups[group_id])


def _members(state: State, group_id: int) -> list[dict[str, Any]]:
    members = []
    for membership in state.memberships.values():
        if membership["group_id"] == group_id:
            user = state.users[membership["user_id"]]
            members.append(
                {
                    "membership_id": membership["membership_id"],
                    "user_id": user["id"],
                    "email": user["email"],
                    "first_name": user["first_name"],
                    "last_name": user["last_name"],
                    "common_name": user["common_name"],
                    "is_group_manager": membership["is_group_manager"],
                }
            )
    return members


@route("GET", f"/api/permissions/group/{ID}")
def get_group(req: Request) -> Any:
    req.require_superuser()
    group = req.state.groups.get(req.id)
    if group is None:
        raise not_found()
    return {**_group_json(req.state, group), "members": _members(req.state, req.id)}


@route("GET", "/api/permissions/membership")
def list_memberships(req: Request) -> Any:
    req.require_superuser()
    result: dict[str, list[dict[str, Any]]] = {}
    for membership in req.state.memberships.values():
        result.setdefault(str(membership["user_id"]), []).append(
            {k: membership[k] for k in ("membership_id", "group_id", "is_group_manager")}
        )
    return result


@route("POST", "/api/permissions/membership")
def add_membership(req: Request) -> Any:
    req.require_superuser()
    body = v.require_object(req.body)
    group_id = v.integer(body, "group_id", required=True)
    user_id = v.integer(body, "user_id", required=True)
    manager = v.boolean(body, "is_group_manager", default=False)
    if group_id not in req.state.groups or user_id not in req.state.users:
        raise not_found()
    req.state.add_membership(user_id, group_id, bool(manager))
    return _members(req.state, group_id)


@route("DELETE", r"/api/permissions/membership/(?P<id>\d+)")
def remove_membership(req: Request) -> Any:
    req.require_superuser()
    membership = req.state.memberships.get(req.id)
    if membership is None:
        raise not_found()
    if membership["group_id"] == 1:
        raise ApiError(400, {"message": "You cannot remove users from the All Users group."})
    del req.state.memberships[req.id]
    return Response(204, None)


# ---- collection permission graph -------------------------------------------------------------
NONE_CELLS_OMITTED_FROM = (56, 13)  # GET /api/collection/graph drops "none" cells (changelog)


def _collection_graph(state: State) -> dict[str, Any]:
    groups: dict[str, dict[str, str]] = {}
    keys: list[int | str] = ["root"] + [
        c["id"] for c in state.collections.values() if state.personal_owner(c) is None
    ]
    for group_id in state.groups:
        perms = state.collection_graph["groups"].get(group_id, {})
        entry = {}
        for key in keys:
            perm = "write" if group_id == ADMIN_GROUP_ID else perms.get(key, "none")
            if perm != "none" or state.feature_level < NONE_CELLS_OMITTED_FROM:
                entry[str(key)] = perm
        groups[str(group_id)] = entry
    return {"revision": state.collection_graph["revision"], "groups": groups}


@route("GET", "/api/collection/graph")
def get_collection_graph(req: Request) -> Any:
    req.require_superuser()
    return _collection_graph(req.state)


@route("PUT", "/api/collection/graph")
def put_collection_graph(req: Request) -> Any:
    req.require_superuser()
    body = v.require_object(req.body)
    groups = v.mapping(body, "groups", required=True)
    force = req.flag("force")
    revision = body.get("revision")
    if not force:
        if revision is None:
            raise invalid("revision", "value must be an integer (or use force=true).")
        if revision != req.state.collection_graph["revision"]:
            raise stale_revision()
    updates: dict[int, dict[int | str, str]] = {}
    for group_key, perms in groups.items():
        group_id = _int_key("groups", group_key)
        if group_id not in req.state.groups:
            raise invalid("groups", f"no group with id {group_key}.")
        if not isinstance(perms, dict):
            raise invalid(f"groups.{group_key}", "value must be a map.")
        for coll_key, perm in perms.items():
            key: int | str = "root" if coll_key == "root" else _int_key("groups", coll_key)
            if key != "root" and key not in req.state.collections:
                raise invalid(f"groups.{group_key}", f"no collection with id {coll_key}.")
            if perm not in COLLECTION_PERMS:
                raise invalid(f"groups.{group_key}.{coll_key}", "value must be write|read|none.")
            updates.setdefault(group_id, {})[key] = perm
    for group_id, perms in updates.items():
        if group_id == ADMIN_GROUP_ID:
            continue  # admins always have write
        req.state.collection_graph["groups"].setdefault(group_id, {}).update(perms)
    req.state.collection_graph["revision"] += 1
    if req.flag("skip-graph"):
        return {"revision": req.state.collection_graph["revision"]}
    return _collection_graph(req.state)


def _int_key(field: str, key: Any) -> int:
    try:
        return int(key)
    except (TypeError, ValueError) as exc:
        raise invalid(field, f"{key!r} is not an id.") from exc


# ---- data permission graph ---------------------------------------------------------------
def _data_graph(state: State) -> dict[str, Any]:
    groups: dict[str, Any] = {}
    for group_id in state.groups:
        per_db = state.data_graph["groups"].get(group_id, {})
        groups[str(group_id)] = {str(db): copy.deepcopy(entry) for db, entry in per_db.items()}
    return {"revision": state.data_graph["revision"], "groups": groups}


@route("GET", "/api/permissions/graph")
def get_data_graph(req: Request) -> Any:
    req.require_superuser()
    return _data_graph(req.state)


def _check_level(where: str, value: Any, allowed: tuple[str, ...]) -> None:
    """A level for the whole DB, or {schema: level | {table-id: level}}."""
    if isinstance(value, str):
        if value not in allowed:
            raise invalid(where, f"value must be one of: {', '.join(allowed)}.")
        return
    if not isinstance(value, dict):
        raise invalid(where, "value must be a permission level or a map of schemas.")
    for key, inner in value.items():
        _check_level(f"{where}.{key}", inner, allowed)


def _contains(value: Any, level: str) -> bool:
    if isinstance(value, dict):
        return any(_contains(inner, level) for inner in value.values())
    return value == level


def _normalise_db_perms(where: str, perms: dict[str, Any]) -> dict[str, Any]:
    """Decoded strictly, as the server does: an unknown key anywhere is a 400."""
    perms = copy.deepcopy(perms)
    legacy = perms.pop("data", None)
    if legacy is not None and (not isinstance(legacy, dict) or set(legacy) - {"native", "schemas"}):
        raise invalid(f"{where}.data", "value must be {native, schemas} (the pre-0.50 shape).")
    if isinstance(legacy, dict):  # pre-0.50 shape, still accepted on input
        native = legacy.get("native")
        schemas = legacy.get("schemas")
        if schemas == "block":
            perms.setdefault("view-data", "blocked")
        if native == "write":
            perms.setdefault("create-queries", "query-builder-and-native")
        elif schemas == "all":
            perms.setdefault("create-queries", "query-builder")
        else:
            perms.setdefault("create-queries", "no")
    if "view-data" in perms:
        _check_level(f"{where}.view-data", perms["view-data"], VIEW_DATA)
        if perms["view-data"] in ("impersonated", "sandboxed"):
            raise ApiError(402, {"message": "Sandboxing and impersonation need Metabase EE."})
    if "create-queries" in perms:
        _check_level(f"{where}.create-queries", perms["create-queries"], CREATE_QUERIES)
    for key, allowed in (("download", DOWNLOAD), ("data-model", DATA_MODEL)):
        if key in perms:
            value = perms[key]
            if not isinstance(value, dict) or set(value) != {"schemas"}:
                raise invalid(f"{where}.{key}", "value must be {schemas: ...} and nothing else.")
            _check_level(f"{where}.{key}.schemas", value["schemas"], allowed)
    if "details" in perms and perms["details"] not in DETAILS:
        raise invalid(f"{where}.details", "value must be yes|no.")
    unknown = set(perms) - {
        "view-data",
        "create-queries",
        "download",
        "data-model",
        "details",
        "transforms",
    }
    if unknown:
        raise invalid(where, f"unknown permission keys: {', '.join(sorted(unknown))}.")
    return perms


@route("PUT", "/api/permissions/graph")
def put_data_graph(req: Request) -> Any:
    req.require_superuser()
    body = v.require_object(req.body)
    if body.get("sandboxes"):
        raise ApiError(402, {"message": "Sandboxes need Metabase EE."})
    unknown = set(body) - {"revision", "groups", "force", "sandboxes", "impersonations"}
    if unknown:  # the server decodes the graph strictly
        raise invalid("body", f"unknown key(s): {', '.join(sorted(unknown))}.")
    groups = v.mapping(body, "groups", required=True)
    force = req.flag("force") or bool(body.get("force"))
    if not force and body.get("revision") != req.state.data_graph["revision"]:
        raise stale_revision()
    updates: dict[int, dict[int, dict[str, Any]]] = {}
    for group_key, per_db in groups.items():
        group_id = _int_key("groups", group_key)
        if group_id not in req.state.groups:
            raise invalid("groups", f"no group with id {group_key}.")
        if per_db is None:
            continue
        if not isinstance(per_db, dict):
            raise invalid(f"groups.{group_key}", "value must be a map.")
        for db_key, perms in per_db.items():
            db_id = _int_key(f"groups.{group_key}", db_key)
            if db_id not in req.state.databases:
                raise invalid(f"groups.{group_key}", f"no database with id {db_key}.")
            if not isinstance(perms, dict):
                raise invalid(f"groups.{group_key}.{db_key}", "value must be a map.")
            where = f"groups.{group_key}.{db_key}"
            updates.setdefault(group_id, {})[db_id] = _normalise_db_perms(where, perms)
    for group_id, per_db in updates.items():
        for db_id, perms in per_db.items():
            current = req.state.data_graph["groups"].get(group_id, {}).get(db_id, {})
            merged = {**current, **perms}
            if _contains(merged.get("create-queries"), "query-builder-and-native") and _contains(
                merged.get("view-data", "unrestricted"), "blocked"
            ):
                raise invalid(
                    f"groups.{group_id}.{db_id}",
                    "Invalid permission: create-queries query-builder-and-native needs "
                    "view-data other than blocked.",
                )
            updates[group_id][db_id] = merged
    if ADMIN_GROUP_ID in updates:
        raise ApiError(400, {"message": "You cannot change the permissions of Administrators."})
    for group_id, per_db in updates.items():
        req.state.data_graph["groups"].setdefault(group_id, {}).update(per_db)
    req.state.data_graph["revision"] += 1
    if req.flag("skip-graph"):
        return {"revision": req.state.data_graph["revision"]}
    return _data_graph(req.state)
