"""Step 7: groups and their access (metabase/README.md, "Access").

- Built-in groups are found by `magic_group_type` (`all-internal-users`, `admin`), by name when
  the server does not send it ("All Users" / "All internal users", "Administrators"); neither
  is an error. Configured groups are found by name (never a built-in's: checked when parsing).
- Collection graph: each configured group gets its level on every managed collection (`none`
  where the code gives none); All Users gets `none` on every managed collection AND on
  Metabase's root collection, so nothing saved at the root is readable by every user.
- Data graph: each configured group `view-data: unrestricted` and `create-queries` by
  `native_queries`; All Users `create-queries: no`.
- Both graphs are revision-checked: a PUT is never repeated as it was. After a lost answer or a
  409 the graph is read again and the change planned anew against it (it may have been
  applied), then sent once more with the new revision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from experiment_analytics.metabase.api import Json
from experiment_analytics.metabase.errors import MetabaseApiError, PublisherError
from experiment_analytics.metabase.publishers.base import Step

_logger = logging.getLogger(__name__)

ALL_USERS = "All Users"
ALL_USERS_TYPE, ADMIN_TYPE = "all-internal-users", "admin"
_BUILTIN_NAMES = {
    ALL_USERS_TYPE: ("all users", "all internal users"),
    ADMIN_TYPE: ("administrators",),
}
METABASE_ROOT = "root"
_GRAPH_ATTEMPTS = 3


def builtin_group(groups: list[Json], magic: str) -> Json | None:
    by_type = [g for g in groups if g.get("magic_group_type") == magic]
    if by_type:
        return by_type[0]
    if any("magic_group_type" in g for g in groups):
        return None  # the server sends the type: trust it, never a name
    names = _BUILTIN_NAMES[magic]
    return next((g for g in groups if str(g.get("name", "")).lower() in names), None)


def _cell(graph: dict[str, Any], group_id: int, key: Any, default: Any) -> Any:
    row = graph.get(str(group_id)) or graph.get(group_id) or {}
    return row.get(str(key), row.get(key, default))


class AccessStep(Step):
    title = "groups and permissions"

    def publish(self) -> None:
        self.groups()
        self.collection_permissions()
        self.data_permissions()

    # -- groups ---------------------------------------------------------------------------
    def groups(self) -> None:
        ctx = self.ctx
        groups = self.api.list_groups()
        all_users = builtin_group(groups, ALL_USERS_TYPE)
        admins = builtin_group(groups, ADMIN_TYPE)
        if all_users is None or admins is None:
            missing = "All Users" if all_users is None else "Administrators"
            raise PublisherError(
                f"cannot find Metabase's built-in {missing} group (neither magic_group_type "
                f"{ALL_USERS_TYPE if all_users is None else ADMIN_TYPE!r} nor its name is in "
                "GET /api/permissions/group): refusing to set permissions that could leave it open"
            )
        ctx.all_users_group_id = all_users["id"]
        builtin_ids = {all_users["id"], admins["id"]}
        by_name = {g["name"]: g for g in groups if g["id"] not in builtin_ids}
        for key, spec in ctx.specs.config.groups.items():
            if spec.name in by_name:
                ctx.group_ids[key] = by_name[spec.name]["id"]
                self.summary.record("group", key, "unchanged")
                continue
            self.summary.record("group", key, "created", spec.name)
            if ctx.plan:
                ctx.group_ids[key] = ctx.placeholder()
                continue
            created = self.create(
                "group",
                key,
                lambda spec=spec: self.api.create_group(spec.name, what=f"group {spec.name!r}"),
                lambda spec=spec: next(
                    (g for g in self.api.list_groups() if g["name"] == spec.name), None
                ),
            )
            ctx.group_ids[key] = created["id"]

    def _group_label(self, group_id: int) -> str:
        if group_id == self.ctx.all_users_group_id:
            return "all_users"
        return next((k for k, v in self.ctx.group_ids.items() if v == group_id), str(group_id))

    # -- the graphs -----------------------------------------------------------------------
    def _write_graph(
        self,
        kind: str,
        read: Callable[[], Json],
        plan: Callable[[Json], dict[str, dict[str, Any]]],
        write: Callable[[Json], Any],
        body: Callable[[Json, dict[str, dict[str, Any]]], Json],
    ) -> None:
        graph = read()
        changes = plan(graph)
        self._record(kind, graph, changes)
        if not changes or self.ctx.plan:
            return
        for attempt in range(_GRAPH_ATTEMPTS):
            try:
                write(body(graph, changes))
                return
            except MetabaseApiError as exc:
                if not (exc.maybe_applied or exc.status == 409) or attempt == _GRAPH_ATTEMPTS - 1:
                    raise
                _logger.warning("%s: %s; reading the graph again and re-planning", kind, exc)
            graph = read()
            changes = plan(graph)
            if not changes:
                _logger.info("%s: the change was applied despite the error", kind)
                return

    def _record(self, kind: str, graph: Json, changes: dict[str, dict[str, Any]]) -> None:
        groups = [*self.ctx.group_ids.values(), self.ctx.all_users_group_id]
        for group_id in groups:
            label = self._group_label(group_id)
            entries = changes.get(str(group_id))
            if entries:
                self.summary.record(kind, label, "updated", fields=entries)
            else:
                self.summary.record(kind, label, "unchanged")

    # collection graph
    def _desired_collections(self) -> dict[int, dict[Any, str]]:
        ctx = self.ctx
        managed = {"*root": ctx.root_id, **ctx.collection_ids}
        desired: dict[int, dict[Any, str]] = {}
        for key, spec in ctx.specs.config.groups.items():
            desired[ctx.group_ids[key]] = {
                cid: spec.collections.get(ckey, spec.collections.get("*", "none"))
                if ckey != "*root"
                else spec.collections.get("*", "none")
                for ckey, cid in managed.items()
            }
        closed = {cid: "none" for cid in managed.values()}
        closed[METABASE_ROOT] = "none"
        desired[ctx.all_users_group_id] = closed
        return desired

    def collection_permissions(self) -> None:
        desired = self._desired_collections()

        def plan(graph: Json) -> dict[str, dict[str, Any]]:
            current = graph.get("groups") or {}
            changes: dict[str, dict[str, Any]] = {}
            for group_id, levels in desired.items():
                for collection_id, level in levels.items():
                    now = _cell(current, group_id, collection_id, "none")
                    if now != level:
                        changes.setdefault(str(group_id), {})[str(collection_id)] = (now, level)
            return changes

        def body(graph: Json, changes: dict[str, dict[str, Any]]) -> Json:
            return {
                "revision": graph.get("revision"),
                "groups": {
                    g: {c: new for c, (_, new) in cells.items()} for g, cells in changes.items()
                },
            }

        self._write_graph(
            "collection access",
            self.api.collection_graph,
            plan,
            self.api.update_collection_graph,
            body,
        )

    # data graph
    def _desired_data(self) -> dict[int, dict[str, str]]:
        ctx = self.ctx
        desired: dict[int, dict[str, str]] = {}
        for key, spec in ctx.specs.config.groups.items():
            desired[ctx.group_ids[key]] = {
                "view-data": "unrestricted",
                "create-queries": "query-builder-and-native" if spec.native_queries else "no",
            }
        # All Users must not be a back door into the warehouse: no queries of its own, and (by
        # the collection graph) no card of ours to run. `view-data: blocked` would be stricter
        # but is a paid feature of Metabase; see metabase/README.md.
        desired[ctx.all_users_group_id] = {"create-queries": "no"}
        return desired

    def data_permissions(self) -> None:
        database = str(self.ctx.database_id)
        desired = self._desired_data()

        def plan(graph: Json) -> dict[str, dict[str, Any]]:
            current = graph.get("groups") or {}
            changes: dict[str, dict[str, Any]] = {}
            for group_id, wanted in desired.items():
                have = _cell(current, group_id, database, {}) or {}
                for name, value in wanted.items():
                    now = have.get(name, "no" if name == "create-queries" else None)
                    if now != value:
                        changes.setdefault(str(group_id), {})[name] = (now, value)
            return changes

        def body(graph: Json, changes: dict[str, dict[str, Any]]) -> Json:
            current = graph.get("groups") or {}
            groups = {}
            for group_id, cells in changes.items():
                have = dict(_cell(current, group_id, database, {}) or {})
                groups[group_id] = {database: {**have, **{k: new for k, (_, new) in cells.items()}}}
            return {"revision": graph.get("revision"), "groups": groups}

        self._write_graph(
            "data access", self.api.data_graph, plan, self.api.update_data_graph, body
        )
