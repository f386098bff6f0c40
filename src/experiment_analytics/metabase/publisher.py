"""Make a Metabase instance match the code, step by step (metabase/README.md: "What a run does").

Every step reads the current state of only the objects it manages, compares it with the desired
state in a normalised form, and writes only what differs; so a second run sends no writes. With
`plan=True` nothing is written: creations get placeholder ids and the summary lists the changes.

Stable keys: cards (questions, models, alert questions) by a deterministic `entity_id`; the
managed root collection by its name at Metabase's root; sub-collections and dashboards by name
inside the managed tree; groups by name; alerts by their question (card id); subscriptions by
name on their dashboard.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.metabase import payloads
from experiment_analytics.metabase.client import MetabaseClient, items, parse_version
from experiment_analytics.metabase.errors import (
    MetabaseApiError,
    PublisherError,
    UnsupportedVersionError,
)
from experiment_analytics.metabase.spec import (
    AlertSpec,
    CardSpec,
    DashboardSpec,
    FieldRef,
    ModelSpec,
    expand_env,
)
from experiment_analytics.metabase.summary import Summary
from experiment_analytics.metabase.validate import Specs, template_tags
from experiment_analytics.warehouse.connection import ConnectionSettings
from experiment_analytics.warehouse.roles import write_privileges

_logger = logging.getLogger(__name__)

SUPPORTED = ((0, 54), (0, 61))
ADMIN_GROUP = "Administrators"
ALL_USERS_GROUP = "All Users"
_RETRYABLE_STATUS = {None, 429, 500, 502, 503, 504}


@dataclass
class PublishSettings:
    database_name: str
    warehouse: ConnectionSettings
    plan: bool = False
    prune: bool = False
    add_database: bool = False
    sync_timeout: float = 300.0
    sync_poll_seconds: float = 1.0
    push_model_metadata: bool = True
    api_key: str | None = None
    # Pause before re-reading after a failed create (grows with the attempt).
    create_retry_pause: float = 0.5


@dataclass
class _Card:
    """A card to publish: a dashboard card, a Metabase model or an alert question."""

    kind: str  # question | model | alert
    key: str
    name: str
    description: str
    display: str
    collection: str
    query: str
    visualization_settings: dict[str, Any]
    filters: dict[str, Any]  # tag -> (display name, FieldRef, widget type, default)
    id: int | None = None


class Publisher:
    def __init__(self, client: MetabaseClient, specs: Specs, settings: PublishSettings):
        self.client = client
        self.specs = specs
        self.config = specs.config
        self.settings = settings
        self.summary = Summary(plan=settings.plan)
        self._placeholders = itertools.count(-1, -1)
        self.database_id: int = 0
        self.fields: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.collection_ids: dict[str, int] = {}
        self.root_id: int = 0
        self.inventory: list[dict[str, Any]] = []
        self.cards: dict[str, _Card] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.group_ids: dict[str, int] = {}

    # -- helpers ---------------------------------------------------------------------------

    def _placeholder(self) -> int:
        return next(self._placeholders)

    def _create(
        self, kind: str, key: str, post: Callable[[], Any], find: Callable[[], Any | None]
    ) -> Any:
        """POST once; if the answer is lost or an error that may hide an applied write, re-read
        by the stable key before trying again (never a blind retry)."""
        last: MetabaseApiError | None = None
        for attempt in range(3):
            if attempt:
                found = find()
                if found is not None:
                    _logger.info("%s %s was created despite the error; using it", kind, key)
                    return found
                time.sleep(self.settings.create_retry_pause * attempt)
            try:
                return post()
            except MetabaseApiError as exc:
                if exc.status not in _RETRYABLE_STATUS:
                    raise
                last = exc
                _logger.warning(
                    "creating %s %s failed (%s); re-reading before retrying", kind, key, exc
                )
        assert last is not None
        raise last

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> Summary:
        self.check_version()
        self.find_database()
        self.sync_schema()
        self.push_model_metadata()
        self.field_values()
        self.publish_collections()
        self.read_inventory()
        self.publish_cards()
        self.publish_dashboards()
        self.publish_groups()
        self.publish_collection_permissions()
        self.publish_data_permissions()
        self.publish_alerts()
        self.publish_subscriptions()
        self.prune()
        return self.summary

    # 1. version
    def check_version(self) -> None:
        properties = self.client.get("/api/session/properties", what="read Metabase version")
        version = properties.get("version") or {}
        tag = version.get("tag") if isinstance(version, dict) else str(version)
        try:
            _, minor, _ = parse_version(tag)
        except ValueError as exc:
            raise UnsupportedVersionError(str(exc)) from None
        self.summary.metabase_version = tag
        low, high = SUPPORTED
        if not low <= (0, minor) <= high:
            raise UnsupportedVersionError(
                f"Metabase {tag} is not supported: this publisher supports 0.{low[1]} through "
                f"0.{high[1]} (the notifications API appeared in 0.54)"
            )
        _logger.info("Metabase %s at %s", tag, self.client.url)

    # 2. database and sync
    def find_database(self) -> None:
        name = self.settings.database_name
        databases = items(self.client.get("/api/database", what="list databases"))
        found = [db for db in databases if str(db.get("name", "")).lower() == name.lower()]
        if found:
            self.database_id = found[0]["id"]
            self.summary.record("database", name, "unchanged")
            self._warn_if_writer(found[0])
            return
        if not self.settings.add_database:
            raise PublisherError(
                f"Metabase has no database named {name!r}: add it in Metabase's admin, set "
                "METABASE_DATABASE to its name, or pass --add-database to add it from the PG* "
                "connection settings"
            )
        self.summary.record("database", name, "created", self.settings.warehouse.describe())
        if self.settings.plan:
            self.database_id = self._placeholder()
            return
        wh = self.settings.warehouse
        body = {
            "name": name,
            "engine": "postgres",
            "is_full_sync": True,
            "details": {
                "host": wh.host,
                "port": wh.port,
                "dbname": wh.dbname,
                "user": wh.user,
                "password": wh.password or None,
                "ssl": False,
            },
        }
        created = self._create(
            "database",
            name,
            lambda: self.client.post("/api/database", body, what=f"add database {name!r}"),
            lambda: next(
                (db for db in items(self.client.get("/api/database")) if db.get("name") == name),
                None,
            ),
        )
        self.database_id = created["id"]

    def _warn_if_writer(self, database: dict) -> None:
        """Metabase should connect as a read-only role (README "Roles"): say so when not."""
        user = (database.get("details") or {}).get("user")
        if not user:
            return
        try:
            rights = write_privileges(self.settings.warehouse, str(user))
        except ExperimentAnalyticsError as exc:
            _logger.debug("could not check the rights of %s: %s", user, exc)
            return
        if rights:
            message = (
                f"warning: Metabase's database {database.get('name')!r} connects as {user!r}, "
                f"which {', '.join(rights)}: anyone with native-query rights in Metabase can "
                'change the warehouse. Connect it as the read-only role (README "Roles").'
            )
            _logger.warning(message)
            self.summary.notes.append(message)

    def _expected_relations(self) -> dict[tuple[str, str], set[str]]:
        """(schema, table) -> columns Metabase must know: every relation of the dbt project."""
        return {key: set(columns) for key, columns in self.specs.project.relations.items()}

    def _read_fields(self) -> None:
        metadata = self.client.get(
            f"/api/database/{self.database_id}/metadata",
            params={"include_hidden": "true"},
            what="read database metadata",
        )
        self.fields = {}
        for table in metadata.get("tables") or []:
            for fld in table.get("fields") or []:
                self.fields[(table.get("schema"), table.get("name"), fld.get("name"))] = fld

    def _missing(self, expected: dict[tuple[str, str], set[str]]) -> list[str]:
        return [
            f"{schema}.{table}.{column}"
            for (schema, table), columns in expected.items()
            for column in sorted(columns)
            if (schema, table, column) not in self.fields
        ]

    def sync_schema(self) -> None:
        expected = self._expected_relations()
        if self.database_id < 0:
            return
        self._read_fields()
        missing = self._missing(expected)
        if not missing:
            self.summary.record("schema sync", self.settings.database_name, "unchanged")
            return
        self.summary.record(
            "schema sync",
            self.settings.database_name,
            "updated",
            f"{len(missing)} field(s) not yet in Metabase",
        )
        if self.settings.plan:
            return
        self.client.post(
            f"/api/database/{self.database_id}/sync_schema", None, what="trigger schema sync"
        )
        deadline = time.monotonic() + self.settings.sync_timeout
        total = sum(len(c) for c in expected.values())
        while missing:
            if time.monotonic() > deadline:
                raise PublisherError(
                    f"Metabase did not finish syncing {self.settings.database_name!r} within "
                    f"{self.settings.sync_timeout:.0f}s; still missing: {', '.join(missing[:10])}"
                )
            _logger.info("waiting for schema sync: %d/%d fields ready", total - len(missing), total)
            time.sleep(self.settings.sync_poll_seconds)
            self._read_fields()
            missing = self._missing(expected)
        _logger.info("schema sync done: %d/%d fields ready", total, total)

    # 3. model metadata through dbt-metabase
    def push_model_metadata(self) -> None:
        if not self.settings.push_model_metadata:
            return
        if self.settings.plan:
            self.summary.notes.append("model and column metadata (dbt-metabase) is not planned")
            return
        from experiment_analytics.metabase.model_metadata import export_model_metadata

        export_model_metadata(
            self.client,
            self.specs.project.manifest_path,
            self.settings.database_name,
            api_key=self.settings.api_key,
        )
        self._read_fields()

    def field(self, ref: FieldRef) -> dict[str, Any] | None:
        info = self.specs.project.models[ref.model]
        return self.fields.get((info.schema, info.alias, ref.column))

    def field_id(self, ref: FieldRef) -> int:
        found = self.field(ref)
        if found is None:
            if self.settings.plan:
                return self._placeholder()
            raise PublisherError(f"Metabase has no field {ref.model}.{ref.column} after sync")
        return found["id"]

    def field_values(self) -> None:
        """Dropdown values for text filters: the filter's field lists its values."""
        refs: dict[FieldRef, str] = {}
        for spec in self.specs.dashboards:
            for item in spec.filters:
                if item.field and item.type.split("/")[0] in {"string", "category"}:
                    refs[item.field] = spec.dashboard
        for ref in sorted(refs, key=lambda r: (r.model, r.column)):
            found = self.field(ref)
            key = f"{ref.model}.{ref.column}"
            if found is not None and found.get("has_field_values") == "list":
                self.summary.record("field values", key, "unchanged")
                continue
            self.summary.record("field values", key, "updated", "has_field_values: list")
            if not self.settings.plan and found is not None:
                self.client.put(
                    f"/api/field/{found['id']}", {"has_field_values": "list"}, what=f"field {key}"
                )

    # 4. collections
    def publish_collections(self) -> None:
        root_name = self.config.managed_collection
        root_items = items(
            self.client.get(
                "/api/collection/root/items",
                params={"models": "collection"},
                what="list root collections",
            )
        )
        root = next(
            (
                c
                for c in root_items
                if c.get("model", "collection") == "collection"
                and c.get("name") == root_name
                and not c.get("archived")
            ),
            None,
        )
        self.root_id = self._ensure_collection("root", root_name, "", None, root)
        children: list[dict[str, Any]] = []
        if self.root_id > 0:
            children = items(
                self.client.get(
                    f"/api/collection/{self.root_id}/items",
                    params={"models": "collection"},
                    what=f"list collection {root_name!r}",
                )
            )
        self.managed_children = children
        for key, spec in self.config.collections.items():
            existing = next((c for c in children if c.get("name") == spec.name), None)
            self.collection_ids[key] = self._ensure_collection(
                key, spec.name, spec.description, self.root_id, existing
            )

    def _ensure_collection(
        self,
        key: str,
        name: str,
        description: str,
        parent_id: int | None,
        existing: dict[str, Any] | None,
    ) -> int:
        desired = {"name": name, "description": description or None, "parent_id": parent_id}
        if existing is None:
            self.summary.record("collection", key, "created", name)
            if self.settings.plan or (parent_id is not None and parent_id < 0):
                return self._placeholder()

            def find() -> Any:
                path = (
                    "/api/collection/root/items"
                    if parent_id is None
                    else f"/api/collection/{parent_id}/items"
                )
                return next(
                    (
                        c
                        for c in items(self.client.get(path, params={"models": "collection"}))
                        if c.get("name") == name
                    ),
                    None,
                )

            created = self._create(
                "collection",
                key,
                lambda: self.client.post("/api/collection", desired, what=f"collection {name!r}"),
                find,
            )
            return created["id"]
        if (existing.get("description") or None) != desired["description"]:
            self.summary.record("collection", key, "updated", "description")
            if not self.settings.plan:
                self.client.put(
                    f"/api/collection/{existing['id']}",
                    {"description": desired["description"]},
                    what=f"collection {name!r}",
                )
        else:
            self.summary.record("collection", key, "unchanged")
        return existing["id"]

    def read_inventory(self) -> None:
        """Every card, model and dashboard inside the managed tree (one list per collection)."""
        self.inventory = []
        for collection_id in [self.root_id, *self.collection_ids.values()]:
            if collection_id < 0:
                continue
            found = items(
                self.client.get(
                    f"/api/collection/{collection_id}/items",
                    params=[("models", "card"), ("models", "dataset"), ("models", "dashboard")],
                    what=f"list collection {collection_id}",
                )
            )
            for item in found:
                item.setdefault("collection_id", collection_id)
            self.inventory.extend(found)

    # 5. cards
    def _desired_cards(self) -> list[_Card]:
        cards: list[_Card] = []
        for model in self.config.metabase_models:
            cards.append(self._plain_card("model", model))
        for spec in self.specs.dashboards:
            for card in spec.cards:
                cards.append(self._dashboard_card(spec, card))
        for alert in self.config.alerts:
            cards.append(self._plain_card("alert", alert))
        return cards

    @staticmethod
    def _plain_card(kind: str, spec: ModelSpec | AlertSpec) -> _Card:
        return _Card(
            kind,
            spec.key,
            spec.name,
            spec.description,
            "table",
            spec.collection,
            spec.query,
            {},
            {},
        )

    @staticmethod
    def _dashboard_card(spec: DashboardSpec, card: CardSpec) -> _Card:
        display, description = card.display, card.description
        if display == "boxplot":
            display = "table"
            description = f"{description} {payloads.BOXPLOT_NOTE}".strip()
        filters = {}
        for filter_id, mapping in card.filters.items():
            dashboard_filter = spec.filter(filter_id)
            filters[mapping.tag] = (
                dashboard_filter.name,
                mapping.field,
                dashboard_filter.type,
                dashboard_filter.default,
                filter_id,
            )
        return _Card(
            "question",
            f"{spec.dashboard}.{card.key}",
            card.name,
            description,
            display,
            spec.collection,
            card.query,
            dict(card.visualization_settings),
            filters,
        )

    def _card_body(self, card: _Card) -> dict[str, Any]:
        sql = self.specs.project.analyses[card.query].compiled_sql
        tags = {}
        for tag in template_tags(sql):
            display_name, ref, widget, default, _ = card.filters[tag]
            tags[tag] = payloads.field_filter_tag(
                card.key, tag, display_name, self.field_id(ref), widget, default
            )
        return {
            "name": card.name,
            "description": card.description or None,
            "display": card.display,
            "type": "model" if card.kind == "model" else "question",
            "collection_id": self.collection_ids[card.collection],
            "archived": False,
            "visualization_settings": card.visualization_settings,
            "dataset_query": payloads.native_query(self.database_id, sql, tags),
        }

    def publish_cards(self) -> None:
        by_entity = {
            item.get("entity_id"): item
            for item in self.inventory
            if item.get("model") in {"card", "dataset", "metric"}
        }
        for card in self._desired_cards():
            self.cards[card.key] = card
            kind = {"model": "metabase model", "alert": "alert question"}.get(card.kind, "card")
            eid = payloads.entity_id("card", card.key)
            body = self._card_body(card)
            current = None
            if eid in by_entity:
                current = self.client.get(
                    f"/api/card/{by_entity[eid]['id']}", what=f"{kind} {card.key}"
                )
            elif not self.settings.plan:
                current = self._card_by_entity_id(eid, kind, card.key)
            if current is None:
                self.summary.record(kind, card.key, "created", card.name)
                if self.settings.plan:
                    card.id = self._placeholder()
                    continue
                created = self._create(
                    kind,
                    card.key,
                    lambda body=body, eid=eid, kind=kind, card=card: self.client.post(
                        "/api/card", {**body, "entity_id": eid}, what=f"{kind} {card.key}"
                    ),
                    lambda eid=eid, kind=kind, card=card: self._card_by_entity_id(
                        eid, kind, card.key
                    ),
                )
                card.id = created["id"]
                continue
            card.id = current["id"]
            desired = payloads.normal_card(body)
            actual = payloads.normal_card(current)
            if desired == actual:
                self.summary.record(kind, card.key, "unchanged")
                continue
            changed = sorted(k for k in desired if desired[k] != actual[k])
            self.summary.record(kind, card.key, "updated", ", ".join(changed))
            if not self.settings.plan:
                self.client.put(f"/api/card/{card.id}", body, what=f"{kind} {card.key}")

    def _card_by_entity_id(self, eid: str, kind: str, key: str) -> dict[str, Any] | None:
        try:
            return self.client.get(f"/api/card/{eid}", what=f"{kind} {key}")
        except MetabaseApiError as exc:
            if exc.status == 404:
                return None
            raise

    # 6. dashboards
    def publish_dashboards(self) -> None:
        in_tree = [i for i in self.inventory if i.get("model") == "dashboard"]
        for spec in self.specs.dashboards:
            collection_id = self.collection_ids[spec.collection]
            existing = next((d for d in in_tree if d.get("name") == spec.name), None)
            current: dict[str, Any] | None = None
            if existing is not None:
                current = self.client.get(
                    f"/api/dashboard/{existing['id']}", what=f"dashboard {spec.dashboard}"
                )
            created = False
            if current is None:
                self.summary.record("dashboard", spec.dashboard, "created", spec.name)
                created = True
                if self.settings.plan:
                    self.dashboards[spec.dashboard] = {"id": self._placeholder(), "dashcards": []}
                    continue
                shell = {
                    "name": spec.name,
                    "description": spec.description or None,
                    "collection_id": collection_id,
                }
                current = self._create(
                    "dashboard",
                    spec.dashboard,
                    lambda shell=shell, spec=spec: self.client.post(
                        "/api/dashboard", shell, what=f"dashboard {spec.dashboard}"
                    ),
                    lambda spec=spec: self._find_dashboard(spec.name),
                )
                current = self.client.get(
                    f"/api/dashboard/{current['id']}", what=f"dashboard {spec.dashboard}"
                )
            body = self._dashboard_body(spec, current)
            if payloads.normal_dashboard(body) == payloads.normal_dashboard(current):
                if not created:
                    self.summary.record("dashboard", spec.dashboard, "unchanged")
                self.dashboards[spec.dashboard] = current
            else:
                desired, actual = (
                    payloads.normal_dashboard(body),
                    payloads.normal_dashboard(current),
                )
                if not created:
                    changed = sorted(k for k in desired if desired[k] != actual[k])
                    self.summary.record("dashboard", spec.dashboard, "updated", ", ".join(changed))
                if self.settings.plan:
                    self.dashboards[spec.dashboard] = current
                else:
                    answer = self.client.put(
                        f"/api/dashboard/{current['id']}", body, what=f"dashboard {spec.dashboard}"
                    )
                    if not isinstance(answer, dict) or "dashcards" not in answer:
                        answer = self.client.get(
                            f"/api/dashboard/{current['id']}", what=f"dashboard {spec.dashboard}"
                        )
                    self.dashboards[spec.dashboard] = answer
            self.summary.dashboard_urls[spec.dashboard] = (
                f"{self.client.url}/dashboard/{self.dashboards[spec.dashboard]['id']}"
            )

    def _find_dashboard(self, name: str) -> dict[str, Any] | None:
        self.read_inventory()
        return next(
            (d for d in self.inventory if d.get("model") == "dashboard" and d.get("name") == name),
            None,
        )

    def _dashboard_body(self, spec: DashboardSpec, current: dict[str, Any]) -> dict[str, Any]:
        parameters = []
        for item in spec.filters:
            parameter = {
                "id": item.id,
                "name": item.name,
                "slug": payloads.slugify(item.name),
                "type": item.type,
                "sectionId": payloads.section_id(item.type),
            }
            if item.default is not None:
                parameter["default"] = item.default
            parameters.append(parameter)
        existing = {dc.get("card_id"): dc for dc in current.get("dashcards") or []}
        new_ids = itertools.count(-1, -1)
        dashcards = []
        for card_spec in spec.cards:
            card = self.cards[f"{spec.dashboard}.{card_spec.key}"]
            mappings = [
                {
                    "parameter_id": filter_id,
                    "card_id": card.id,
                    "target": ["dimension", ["template-tag", mapping.tag]],
                }
                for filter_id, mapping in card_spec.filters.items()
            ]
            pos = card_spec.position
            found = existing.get(card.id)
            dashcards.append(
                {
                    "id": found["id"] if found else next(new_ids),
                    "card_id": card.id,
                    "row": pos.row,
                    "col": pos.col,
                    "size_x": pos.size_x,
                    "size_y": pos.size_y,
                    "parameter_mappings": mappings,
                    "visualization_settings": {},
                    "series": [],
                }
            )
        return {
            "name": spec.name,
            "description": spec.description or None,
            "collection_id": self.collection_ids[spec.collection],
            "width": spec.width,
            "archived": False,
            "parameters": parameters,
            "dashcards": dashcards,
        }

    # 7. groups and permissions
    def publish_groups(self) -> None:
        groups = items(self.client.get("/api/permissions/group", what="list groups"))
        by_name = {g["name"]: g["id"] for g in groups}
        for builtin in (ADMIN_GROUP, ALL_USERS_GROUP):
            if builtin in by_name:
                self.group_ids[builtin] = by_name[builtin]
        for key, spec in self.config.groups.items():
            if spec.name in by_name:
                self.group_ids[key] = by_name[spec.name]
                self.summary.record("group", key, "unchanged")
                continue
            self.summary.record("group", key, "created", spec.name)
            if self.settings.plan:
                self.group_ids[key] = self._placeholder()
                continue
            created = self._create(
                "group",
                key,
                lambda spec=spec: self.client.post(
                    "/api/permissions/group", {"name": spec.name}, what=f"group {spec.name!r}"
                ),
                lambda spec=spec: next(
                    (
                        g
                        for g in items(self.client.get("/api/permissions/group"))
                        if g["name"] == spec.name
                    ),
                    None,
                ),
            )
            self.group_ids[key] = created["id"]

    def _managed_collection_ids(self) -> dict[str, int]:
        return {"*root": self.root_id, **self.collection_ids}

    def publish_collection_permissions(self) -> None:
        graph = self.client.get("/api/collection/graph", what="read collection permissions")
        current = graph.get("groups") or {}
        managed = self._managed_collection_ids()
        desired: dict[int, dict[int, str]] = {}
        for key, spec in self.config.groups.items():
            levels = {}
            for collection_key, collection_id in managed.items():
                level = spec.collections.get("*", "none")
                if collection_key in spec.collections:
                    level = spec.collections[collection_key]
                levels[collection_id] = level
            desired[self.group_ids[key]] = levels
        if ALL_USERS_GROUP in self.group_ids:
            # Every managed collection is closed to All Users (it would inherit root's access).
            desired[self.group_ids[ALL_USERS_GROUP]] = {cid: "none" for cid in managed.values()}
        changes: dict[str, dict[str, str]] = {}
        for group_id, levels in desired.items():
            have = current.get(str(group_id)) or current.get(group_id) or {}
            for collection_id, level in levels.items():
                now = have.get(str(collection_id)) or have.get(collection_id) or "none"
                if now != level:
                    changes.setdefault(str(group_id), {})[str(collection_id)] = level
        names = {v: k for k, v in self.group_ids.items()}
        for group_id in desired:
            key = names.get(group_id, str(group_id))
            if str(group_id) in changes:
                detail = ", ".join(f"{c}: {lv}" for c, lv in changes[str(group_id)].items())
                self.summary.record("collection access", key, "updated", detail)
            else:
                self.summary.record("collection access", key, "unchanged")
        if changes and not self.settings.plan:
            self.client.put(
                "/api/collection/graph",
                {"revision": graph.get("revision"), "groups": changes},
                what="collection permissions",
            )

    def publish_data_permissions(self) -> None:
        graph = self.client.get("/api/permissions/graph", what="read data permissions")
        current = graph.get("groups") or {}
        db = str(self.database_id)
        desired: dict[int, dict[str, str]] = {}
        for key, spec in self.config.groups.items():
            desired[self.group_ids[key]] = {
                "view-data": "unrestricted",
                "create-queries": "query-builder-and-native" if spec.native_queries else "no",
            }
        if ALL_USERS_GROUP in self.group_ids:
            # All Users must not be a back door into the warehouse: no queries of its own.
            desired[self.group_ids[ALL_USERS_GROUP]] = {"create-queries": "no"}
        changes: dict[str, dict[str, Any]] = {}
        names = {v: k for k, v in self.group_ids.items()}
        for group_id, wanted in desired.items():
            have = dict((current.get(str(group_id)) or {}).get(db) or {})
            differs = {
                k: v
                for k, v in wanted.items()
                if have.get(k, "no" if k == "create-queries" else None) != v
            }
            key = names.get(group_id, str(group_id))
            if differs:
                changes[str(group_id)] = {db: {**have, **wanted}}
                self.summary.record(
                    "data access",
                    key,
                    "updated",
                    ", ".join(f"{k}: {v}" for k, v in differs.items()),
                )
            else:
                self.summary.record("data access", key, "unchanged")
        if changes and not self.settings.plan:
            self.client.put(
                "/api/permissions/graph",
                {"revision": graph.get("revision"), "groups": changes},
                what="data permissions",
            )

    # 8. alerts and subscriptions
    def _handlers(self, channel_keys: tuple[str, ...]) -> list[dict[str, Any]]:
        handlers = []
        for key in channel_keys:
            channel = self.config.channels[key]
            values = (
                [expand_env(r) for r in channel.recipients]
                if channel.type == "email"
                else [expand_env(channel.channel or "")]
            )
            recipients = [
                {"type": "notification-recipient/raw-value", "details": {"value": v}}
                for value in values
                for v in value.split(",")
                if v.strip()
            ]
            handlers.append({"channel_type": f"channel/{channel.type}", "recipients": recipients})
        return handlers

    def _find_notification(self, card_id: int) -> dict[str, Any] | None:
        found = items(
            self.client.get(
                "/api/notification",
                params={"card_id": card_id, "include_inactive": "true"},
                what=f"alerts of card {card_id}",
            )
        )
        found = [
            n
            for n in found
            if (n.get("payload") or {}).get("card_id", n.get("payload_id")) == card_id
            and n.get("payload_type") == "notification/card"
        ]
        found.sort(key=lambda n: (n.get("active") is False, n.get("id")))
        return found[0] if found else None

    def publish_alerts(self) -> None:
        for alert in self.config.alerts:
            card = self.cards[alert.key]
            body = {
                "payload_type": "notification/card",
                "payload": {
                    "card_id": card.id,
                    "send_condition": "has_result",
                    "send_once": alert.send_once,
                },
                "active": True,
                "subscriptions": [
                    {
                        "type": "notification-subscription/cron",
                        "cron_schedule": alert.schedule,
                        "ui_display_type": "cron/raw",
                    }
                ],
                "handlers": self._handlers(alert.channels),
            }
            current = None if card.id < 0 else self._find_notification(card.id)
            if current is None:
                self.summary.record("alert", alert.key, "created", alert.name)
                if not self.settings.plan:
                    self._create(
                        "alert",
                        alert.key,
                        lambda body=body, alert=alert: self.client.post(
                            "/api/notification", body, what=f"alert {alert.key}"
                        ),
                        lambda card=card: self._find_notification(card.id),
                    )
                continue
            if payloads.normal_notification(body) == payloads.normal_notification(current):
                self.summary.record("alert", alert.key, "unchanged")
                continue
            self.summary.record("alert", alert.key, "updated")
            if not self.settings.plan:
                update = {
                    **current,
                    **body,
                    "id": current["id"],
                    "payload": {**(current.get("payload") or {}), **body["payload"]},
                }
                self.client.put(
                    f"/api/notification/{current['id']}", update, what=f"alert {alert.key}"
                )

    def _pulse_channels(self, subscription) -> list[dict[str, Any]]:
        channels = []
        schedule = subscription.schedule
        for key in subscription.channels:
            channel = self.config.channels[key]
            base = {
                "channel_type": channel.type,
                "enabled": True,
                "schedule_type": schedule.type,
                "schedule_hour": schedule.hour if schedule.type != "hourly" else None,
                "schedule_day": schedule.day if schedule.type in {"weekly", "monthly"} else None,
                "schedule_frame": "first" if schedule.type == "monthly" else None,
            }
            if channel.type == "email":
                emails = [
                    v.strip()
                    for r in channel.recipients
                    for v in expand_env(r).split(",")
                    if v.strip()
                ]
                channels.append(
                    {**base, "recipients": [{"email": e} for e in emails], "details": {}}
                )
            else:
                channels.append(
                    {
                        **base,
                        "recipients": [],
                        "details": {"channel": expand_env(channel.channel or "")},
                    }
                )
        return channels

    def publish_subscriptions(self) -> None:
        for subscription in self.config.subscriptions:
            dashboard = self.dashboards.get(subscription.dashboard)
            if dashboard is None:
                raise PublisherError(
                    f"subscription {subscription.key}: dashboard "
                    f"{subscription.dashboard!r} was not published"
                )
            dashboard_id = dashboard["id"]
            body = {
                "name": subscription.name,
                "dashboard_id": dashboard_id,
                "collection_id": dashboard.get("collection_id"),
                "skip_if_empty": False,
                "archived": False,
                "parameters": [],
                "cards": [
                    {
                        "id": dc["card_id"],
                        "include_csv": False,
                        "include_xls": False,
                        "dashboard_card_id": dc["id"],
                    }
                    for dc in dashboard.get("dashcards") or []
                    if dc.get("card_id")
                ],
                "channels": self._pulse_channels(subscription),
            }
            current = (
                None if dashboard_id < 0 else self._find_pulse(dashboard_id, subscription.name)
            )
            if current is None:
                self.summary.record("subscription", subscription.key, "created", subscription.name)
                if not self.settings.plan:
                    self._create(
                        "subscription",
                        subscription.key,
                        lambda body=body, s=subscription: self.client.post(
                            "/api/pulse", body, what=f"subscription {s.key}"
                        ),
                        lambda d=dashboard_id, s=subscription: self._find_pulse(d, s.name),
                    )
                continue
            if payloads.normal_pulse(body) == payloads.normal_pulse(current):
                self.summary.record("subscription", subscription.key, "unchanged")
                continue
            self.summary.record("subscription", subscription.key, "updated")
            if not self.settings.plan:
                self.client.put(
                    f"/api/pulse/{current['id']}", body, what=f"subscription {subscription.key}"
                )

    def _find_pulse(self, dashboard_id: int, name: str) -> dict[str, Any] | None:
        found = items(
            self.client.get(
                "/api/pulse",
                params={"dashboard_id": dashboard_id},
                what=f"subscriptions of dashboard {dashboard_id}",
            )
        )
        return next(
            (
                p
                for p in found
                if p.get("name") == name
                and not p.get("archived")
                and p.get("dashboard_id") in (dashboard_id, None)
            ),
            None,
        )

    # prune
    def prune(self) -> None:
        wanted_cards = {c.id for c in self.cards.values()}
        wanted_dashboards = {d["id"] for d in self.dashboards.values()}
        wanted_collections = set(self.collection_ids.values())
        stale = []
        for item in self.inventory:
            model = item.get("model")
            if model in {"card", "dataset", "metric"} and item["id"] not in wanted_cards:
                stale.append(("card", item, f"/api/card/{item['id']}"))
            elif model == "dashboard" and item["id"] not in wanted_dashboards:
                stale.append(("dashboard", item, f"/api/dashboard/{item['id']}"))
        for item in getattr(self, "managed_children", []):
            if (
                item.get("model", "collection") == "collection"
                and item["id"] not in wanted_collections
            ):
                stale.append(("collection", item, f"/api/collection/{item['id']}"))
        for kind, item, path in stale:
            label = f"{item.get('name')} (id {item['id']})"
            if not self.settings.prune:
                self.summary.notes.append(f"not in the code (archive with --prune): {kind} {label}")
                continue
            self.summary.record(kind, label, "archived")
            if self.settings.plan:
                continue
            if kind == "card":
                notification = self._find_notification(item["id"])
                if notification is not None and notification.get("active", True):
                    self.client.put(
                        f"/api/notification/{notification['id']}",
                        {**notification, "active": False},
                        what=f"alert on card {label}",
                    )
            if kind == "dashboard":
                for pulse in items(
                    self.client.get("/api/pulse", params={"dashboard_id": item["id"]})
                ):
                    if pulse.get("dashboard_id") == item["id"] and not pulse.get("archived"):
                        self.client.put(
                            f"/api/pulse/{pulse['id']}",
                            {"archived": True},
                            what=f"subscription {pulse.get('name')}",
                        )
            self.client.put(path, {"archived": True}, what=f"archive {kind} {label}")
