"""Permission graphs (revisions, 409, validation) and the effective permissions of a user."""

from __future__ import annotations

from experiment_analytics.metabase_double import MetabaseDouble
from metabase_double.conftest import Api, native_card


def _user_in_new_group(api: Api, double: MetabaseDouble, name: str) -> tuple[int, Api]:
    group = api.ok("POST", "/api/permissions/group", {"name": name})
    email = f"{name.lower().replace(' ', '.')}@example.com"
    user = api.ok("POST", "/api/user", {"email": email, "first_name": name, "password": "pw-1234"})
    members = api.ok(
        "POST", "/api/permissions/membership", {"group_id": group["id"], "user_id": user["id"]}
    )
    assert user["id"] in [m["user_id"] for m in members]
    session = Api(double.url).ok("POST", "/api/session", {"username": email, "password": "pw-1234"})
    return group["id"], Api(double.url, {"X-Metabase-Session": session["id"]})


def test_builtin_groups_exist(api: Api) -> None:
    names = {g["name"] for g in api.ok("GET", "/api/permissions/group")}
    assert {"All Users", "Administrators"} <= names


def test_collection_graph_revision_force_and_partial_put(api: Api) -> None:
    collection = api.ok("POST", "/api/collection", {"name": "Graph test"})
    group = api.ok("POST", "/api/permissions/group", {"name": "Graph readers"})
    graph = api.ok("GET", "/api/collection/graph")
    # A new group has no access: "none" entries are left out since 0.56.13.
    assert graph["groups"][str(group["id"])] == {}
    stale = graph["revision"] - 1
    body = {"revision": stale, "groups": {str(group["id"]): {str(collection["id"]): "read"}}}
    assert api.put("/api/collection/graph", body).status_code == 409
    no_revision = {"groups": body["groups"]}
    assert api.put("/api/collection/graph", no_revision).status_code == 400
    forced = api.ok("PUT", "/api/collection/graph", no_revision, params={"force": "true"})
    assert forced["groups"][str(group["id"])] == {str(collection["id"]): "read"}
    assert forced["revision"] == graph["revision"] + 1
    # Groups absent from the PUT keep their permissions.
    assert forced["groups"]["1"] == graph["groups"]["1"]
    bad = api.put(
        "/api/collection/graph",
        {
            "revision": forced["revision"],
            "groups": {str(group["id"]): {str(collection["id"]): "curate"}},
        },
    )
    assert bad.status_code == 400


def test_data_graph_stale_revision_and_blocked_native_rule(api: Api, double) -> None:
    group = api.ok("POST", "/api/permissions/group", {"name": "Data rule"})
    graph = api.ok("GET", "/api/permissions/graph")
    db = str(double.database_id)
    assert graph["groups"]["1"][db]["view-data"] == "unrestricted"
    assert "data" not in graph["groups"]["1"][db]
    entry = {"view-data": "blocked", "create-queries": "query-builder-and-native"}
    invalid = api.put(
        "/api/permissions/graph",
        {"revision": graph["revision"], "groups": {str(group["id"]): {db: entry}}},
    )
    assert invalid.status_code == 400
    stale = api.put(
        "/api/permissions/graph",
        {"revision": graph["revision"] - 1, "groups": {str(group["id"]): {db: {}}}},
    )
    assert stale.status_code == 409
    bad_level = api.put(
        "/api/permissions/graph",
        {
            "revision": graph["revision"],
            "groups": {str(group["id"]): {db: {"view-data": "everything"}}},
        },
    )
    assert bad_level.status_code == 400
    saved = api.ok(
        "PUT",
        "/api/permissions/graph",
        {
            "revision": graph["revision"],
            "groups": {
                str(group["id"]): {
                    db: {
                        "view-data": "unrestricted",
                        "create-queries": "query-builder",
                        "download": {"schemas": "full"},
                    }
                }
            },
        },
    )
    assert saved["revision"] == graph["revision"] + 1
    assert saved["groups"][str(group["id"])][db]["create-queries"] == "query-builder"


def test_effective_permissions_of_a_group_member(api: Api, double) -> None:
    db = str(double.database_id)
    collection = api.ok("POST", "/api/collection", {"name": "Restricted area"})
    card = api.ok(
        "POST", "/api/card", native_card(double.database_id, collection_id=collection["id"])
    )
    group_id, member = _user_in_new_group(api, double, "Analysts")
    # Take All Users' access away, so only the new group's grants count.
    graph = api.ok("GET", "/api/collection/graph")
    api.ok(
        "PUT",
        "/api/collection/graph",
        {
            "revision": graph["revision"],
            "groups": {"1": {"root": "none", str(collection["id"]): "none"}},
        },
    )
    assert member.get(f"/api/card/{card['id']}").status_code == 403
    assert member.get(f"/api/collection/{collection['id']}").status_code == 403
    assert member.get("/api/permissions/graph").status_code == 403
    graph = api.ok("GET", "/api/collection/graph")
    api.ok(
        "PUT",
        "/api/collection/graph",
        {"revision": graph["revision"], "groups": {str(group_id): {str(collection["id"]): "read"}}},
    )
    assert member.ok("GET", f"/api/card/{card['id']}")["can_write"] is False
    assert member.put(f"/api/card/{card['id']}", {"name": "Hijacked"}).status_code == 403
    run = member.post(f"/api/card/{card['id']}/query")
    assert run.status_code == 202 and run.json()["status"] == "completed"
    # Native ad hoc queries need create-queries = query-builder-and-native.
    data_graph = api.ok("GET", "/api/permissions/graph")
    api.ok(
        "PUT",
        "/api/permissions/graph",
        {
            "revision": data_graph["revision"],
            "groups": {
                "1": {db: {"create-queries": "no"}},
                str(group_id): {
                    db: {"view-data": "unrestricted", "create-queries": "query-builder"}
                },
            },
        },
    )
    adhoc = {"database": double.database_id, "type": "native", "native": {"query": "select 1"}}
    assert member.post("/api/dataset", adhoc).status_code == 403
    assert api.post("/api/dataset", adhoc).status_code == 202
    # Blocking view-data in every group of the member blocks even saved questions.
    data_graph = api.ok("GET", "/api/permissions/graph")
    api.ok(
        "PUT",
        "/api/permissions/graph",
        {
            "revision": data_graph["revision"],
            "groups": {
                "1": {db: {"view-data": "blocked", "create-queries": "no"}},
                str(group_id): {db: {"view-data": "blocked", "create-queries": "no"}},
            },
        },
    )
    assert member.post(f"/api/card/{card['id']}/query").status_code == 403
    # Restore All Users so other tests on this shared double keep their access.
    data_graph = api.ok("GET", "/api/permissions/graph")
    api.ok(
        "PUT",
        "/api/permissions/graph",
        {
            "revision": data_graph["revision"],
            "groups": {
                "1": {
                    db: {"view-data": "unrestricted", "create-queries": "query-builder-and-native"}
                }
            },
        },
    )
    graph = api.ok("GET", "/api/collection/graph")
    api.ok(
        "PUT",
        "/api/collection/graph",
        {"revision": graph["revision"], "groups": {"1": {"root": "write"}}},
    )
