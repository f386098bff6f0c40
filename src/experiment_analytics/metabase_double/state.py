"""The double's state: what a Metabase application database would hold, in memory.

Entities are kept as plain JSON-ready dicts (they are API payloads), with private keys starting
with "_" that never reach a response. Every access happens under `State.lock`.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from experiment_analytics.warehouse import ConnectionSettings

_logger = logging.getLogger(__name__)

ALL_USERS_GROUP_ID = 1
ADMIN_GROUP_ID = 2
ADMIN_USER_ID = 1
MASKED_PASSWORD = "**MetabasePass**"
_NANOID_ALPHABET = string.ascii_letters + string.digits + "_-"

COLLECTION_PERMS = ("write", "read", "none")
VIEW_DATA = ("unrestricted", "legacy-no-self-service", "blocked", "impersonated", "sandboxed")
CREATE_QUERIES = ("query-builder-and-native", "query-builder", "no")
DOWNLOAD = ("full", "limited", "none")
DATA_MODEL = ("all", "none")
DETAILS = ("yes", "no")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def nanoid() -> str:
    return "".join(secrets.choice(_NANOID_ALPHABET) for _ in range(21))


def parse_version(tag: str) -> tuple[int, int]:
    """`v0.57.6` -> (57, 6); enterprise tags `v1.57.6` give the same feature level."""
    parts = tag.lstrip("v").split("-")[0].split(".")
    try:
        return int(parts[1]), int(parts[2]) if len(parts) > 2 else 0
    except (IndexError, ValueError) as exc:
        raise ValueError(f"version must look like v0.57.6, got {tag!r}") from exc


class State:
    def __init__(
        self,
        *,
        version: str,
        admin_email: str,
        admin_password: str,
        api_key: str,
        tenants: bool = False,
    ):
        self.lock = threading.RLock()
        self.version = version
        self.feature_level = parse_version(version)
        self.api_key = api_key
        self._ids: dict[str, Iterator[int]] = {}
        self.sessions: dict[str, int] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.memberships: dict[int, dict[str, Any]] = {}
        self.databases: dict[int, dict[str, Any]] = {}
        self.tables: dict[int, dict[str, Any]] = {}
        self.fields: dict[int, dict[str, Any]] = {}
        self.collections: dict[int, dict[str, Any]] = {}
        self.cards: dict[int, dict[str, Any]] = {}
        self.dashboards: dict[int, dict[str, Any]] = {}
        self.notifications: dict[int, dict[str, Any]] = {}
        self.pulses: dict[int, dict[str, Any]] = {}
        self.alerts: dict[int, dict[str, Any]] = {}
        # notification id -> the cron schedules Quartz would fire (none while inactive)
        self.triggers: dict[int, list[str]] = {}
        self.collection_graph: dict[str, Any] = {"revision": 0, "groups": {}}
        self.data_graph: dict[str, Any] = {"revision": 0, "groups": {}}
        self.sync_threads: list[threading.Thread] = []
        self.stopping = threading.Event()
        self.preview_dir: Path | None = None  # set by MetabaseDouble: the dashboard pages

        # Built-in groups are identified by magic_group_type; with the Enterprise tenants feature
        # on, All Users is listed as "All internal users" (a client matching names misses it).
        all_users = "All internal users" if tenants else "All Users"
        for group_id, name, magic in (
            (ALL_USERS_GROUP_ID, all_users, "all-internal-users"),
            (ADMIN_GROUP_ID, "Administrators", "admin"),
        ):
            self.next_id("group")  # the counter stays in step with the fixed ids
            self.groups[group_id] = {"id": group_id, "name": name, "magic_group_type": magic}
        admin = self.create_user(
            email=admin_email,
            first_name="Admin",
            last_name="User",
            password=admin_password,
            is_superuser=True,
        )
        self.add_membership(admin["id"], ADMIN_GROUP_ID)
        self.trash_id = self.next_id("collection")  # the Trash is a collection of its own
        # A fresh Metabase lets All Users curate "Our analytics".
        self.collection_graph["groups"][ALL_USERS_GROUP_ID] = {"root": "write"}

    # ---- ids -------------------------------------------------------------------------------
    def next_id(self, kind: str) -> int:
        counter = self._ids.setdefault(kind, iter(range(1, 1 << 62)))
        return next(counter)

    # ---- users, groups, sessions -----------------------------------------------------------
    def create_user(
        self,
        *,
        email: str,
        first_name: str | None,
        last_name: str | None,
        password: str | None,
        is_superuser: bool = False,
    ) -> dict[str, Any]:
        user_id = self.next_id("user")
        stamp = now()
        user = {
            "id": user_id,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "common_name": " ".join(p for p in (first_name, last_name) if p) or email,
            "is_superuser": is_superuser,
            "is_active": True,
            "is_qbnewb": False,
            "locale": None,
            "date_joined": stamp,
            "last_login": None,
            "updated_at": stamp,
            "sso_source": None,
            "login_attributes": None,
            "tenant_id": None,
            "_password": password or secrets.token_urlsafe(16),
        }
        self.users[user_id] = user
        self.add_membership(user_id, ALL_USERS_GROUP_ID)
        personal_id = self.next_id("collection")
        self.collections[personal_id] = self._collection_record(
            personal_id,
            name=f"{user['common_name']}'s Personal Collection",
            description=None,
            location="/",
            personal_owner_id=user_id,
        )
        user["personal_collection_id"] = personal_id
        return user

    def add_membership(
        self, user_id: int, group_id: int, is_group_manager: bool = False
    ) -> dict[str, Any]:
        for membership in self.memberships.values():
            if membership["user_id"] == user_id and membership["group_id"] == group_id:
                return membership
        membership_id = self.next_id("membership")
        membership = {
            "membership_id": membership_id,
            "group_id": group_id,
            "user_id": user_id,
            "is_group_manager": is_group_manager,
        }
        self.memberships[membership_id] = membership
        if group_id == ADMIN_GROUP_ID:
            self.users[user_id]["is_superuser"] = True
        return membership

    def group_ids_of(self, user_id: int) -> list[int]:
        return sorted(m["group_id"] for m in self.memberships.values() if m["user_id"] == user_id)

    def new_session(self, user_id: int) -> str:
        token = str(uuid.uuid4())
        self.sessions[token] = user_id
        self.users[user_id]["last_login"] = now()
        return token

    def user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in user.items() if not k.startswith("_")}
        body["user_group_memberships"] = [{"id": g} for g in self.group_ids_of(user["id"])]
        body["group_ids"] = self.group_ids_of(user["id"])
        return body

    def member_count(self, group_id: int) -> int:
        return sum(1 for m in self.memberships.values() if m["group_id"] == group_id)

    # ---- permissions -----------------------------------------------------------------------
    def collection_permission(self, user: dict[str, Any], collection_id: int | str) -> str:
        """The user's effective permission on a collection ("root" or an id): write|read|none."""
        if user["is_superuser"]:
            return "write"
        if collection_id != "root":
            collection = self.collections.get(int(collection_id))
            if collection is None:
                return "none"
            owner = self.personal_owner(collection)
            if owner is not None:
                return "write" if owner == user["id"] else "none"
        best = "none"
        for group_id in self.group_ids_of(user["id"]):
            perm = self.collection_graph["groups"].get(group_id, {}).get(collection_id, "none")
            if perm == "write" or (perm == "read" and best == "none"):
                best = perm
        return best

    def personal_owner(self, collection: dict[str, Any]) -> int | None:
        if collection.get("personal_owner_id"):
            return collection["personal_owner_id"]
        ancestors = [int(p) for p in collection["location"].strip("/").split("/") if p]
        if ancestors:
            return self.collections[ancestors[0]].get("personal_owner_id")
        return None

    def data_permission(self, user: dict[str, Any], db_id: int) -> dict[str, str]:
        """Effective data permissions on a database: the most permissive over the user's groups.
        Granular (per-schema/table) values count as not blocked / partial query access."""
        if user["is_superuser"]:
            return {"view-data": "unrestricted", "create-queries": "query-builder-and-native"}
        view_rank = {
            "unrestricted": 3,
            "impersonated": 2,
            "sandboxed": 2,
            "legacy-no-self-service": 1,
            "granular": 1,
            "blocked": 0,
        }
        query_rank = {"query-builder-and-native": 3, "query-builder": 2, "granular": 1, "no": 0}
        best_view, best_query = "blocked", "no"
        for group_id in self.group_ids_of(user["id"]):
            entry = self.data_graph["groups"].get(group_id, {}).get(db_id, {})
            view = entry.get("view-data", self.default_view_data(group_id))
            query = entry.get("create-queries", "no")
            view = view if isinstance(view, str) else "granular"
            query = query if isinstance(query, str) else "granular"
            if view_rank[view] > view_rank[best_view]:
                best_view = view
            if query_rank[query] > query_rank[best_query]:
                best_query = query
        return {"view-data": best_view, "create-queries": best_query}

    @staticmethod
    def default_view_data(group_id: int) -> str:
        # New groups start "unrestricted" for viewing (Metabase >= 0.50) and "no" for queries.
        return "unrestricted"

    def grant_database_defaults(self, db_id: int) -> None:
        groups = self.data_graph["groups"]
        groups.setdefault(ALL_USERS_GROUP_ID, {})[db_id] = {
            "view-data": "unrestricted",
            "create-queries": "query-builder-and-native",
            "download": {"schemas": "full"},
        }
        groups.setdefault(ADMIN_GROUP_ID, {})[db_id] = {
            "view-data": "unrestricted",
            "create-queries": "query-builder-and-native",
            "download": {"schemas": "full"},
            "data-model": {"schemas": "all"},
            "details": "yes",
        }

    # ---- databases, tables, fields ---------------------------------------------------------
    def create_database(
        self,
        *,
        name: str,
        engine: str,
        details: dict[str, Any],
        settings: ConnectionSettings,
        is_full_sync: bool = True,
        is_on_demand: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        db_id = self.next_id("database")
        stamp = now()
        database = {
            "id": db_id,
            "name": name,
            "engine": engine,
            "details": dict(details),
            "description": None,
            "features": [
                "native-parameters",
                "schemas",
                "nested-queries",
                "left-join",
                "basic-aggregations",
                "expressions",
                "foreign-keys",
            ],
            "is_sample": False,
            "is_full_sync": is_full_sync,
            "is_on_demand": is_on_demand,
            "is_audit": False,
            "auto_run_queries": True,
            "cache_ttl": None,
            "caveats": None,
            "points_of_interest": None,
            "settings": None,
            "timezone": "UTC",
            "initial_sync_status": "incomplete",
            "creator_id": ADMIN_USER_ID,
            "created_at": stamp,
            "updated_at": stamp,
            "metadata_sync_schedule": "0 0 * * * ? *",
            "cache_field_values_schedule": "0 0 0 * * ? *",
            "_settings": settings,
        }
        database.update(extra or {})
        self.databases[db_id] = database
        self.grant_database_defaults(db_id)
        return database

    def database_json(self, database: dict[str, Any], include_details: bool) -> dict[str, Any]:
        body = {k: v for k, v in database.items() if not k.startswith("_")}
        if include_details:
            body["details"] = dict(body["details"])
            for secret in ("password", "token", "oauth-secret"):
                if body["details"].get(secret):
                    body["details"][secret] = MASKED_PASSWORD
        else:
            body.pop("details", None)
        return body

    def active_tables(self, db_id: int) -> list[dict[str, Any]]:
        return sorted(
            (t for t in self.tables.values() if t["db_id"] == db_id and t["active"]),
            key=lambda t: (t["schema"], t["name"]),
        )

    def table_fields(self, table: dict[str, Any], include_hidden: bool = True) -> list[dict]:
        fields = [f for f in self.fields.values() if f["table_id"] == table["id"] and f["active"]]
        if not include_hidden:
            fields = [f for f in fields if f["visibility_type"] not in ("sensitive", "retired")]
        order = table["field_order"]
        if order == "custom":
            fields.sort(key=lambda f: (f["custom_position"], f["database_position"]))
        elif order == "alphabetical":
            fields.sort(key=lambda f: f["name"].lower())
        else:
            fields.sort(key=lambda f: f["database_position"])
        return fields

    def table_json(
        self,
        table: dict[str, Any],
        *,
        with_fields: bool = False,
        with_db: bool = False,
        include_details: bool = True,
    ) -> dict[str, Any]:
        body = {k: v for k, v in table.items() if not k.startswith("_")}
        if with_fields:
            body["fields"] = [self.field_json(f) for f in self.table_fields(table)]
            body["segments"] = []
            body["metrics"] = []
        if with_db:
            body["db"] = self.database_json(self.databases[table["db_id"]], include_details)
        return body

    def field_json(self, field: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in field.items() if not k.startswith("_")}
        target = self.fields.get(field["fk_target_field_id"] or 0)
        body["target"] = self.field_json(target) if target and target is not field else None
        return body

    # ---- collections -----------------------------------------------------------------------
    def _collection_record(
        self,
        collection_id: int,
        *,
        name: str,
        description: str | None,
        location: str,
        personal_owner_id: int | None = None,
        authority_level: str | None = None,
        namespace: str | None = None,
    ) -> dict[str, Any]:
        slug = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
        return {
            "id": collection_id,
            "name": name,
            "description": description,
            "slug": slug,
            "location": location,
            "archived": False,
            "archived_directly": None,
            "authority_level": authority_level,
            "personal_owner_id": personal_owner_id,
            "namespace": namespace,
            "type": None,
            "is_sample": False,
            "entity_id": nanoid(),
            "created_at": now(),
        }

    def create_collection(
        self,
        *,
        name: str,
        description: str | None,
        parent_id: int | None,
        authority_level: str | None,
        namespace: str | None,
    ) -> dict[str, Any]:
        location = (
            "/"
            if parent_id is None
            else self.collections[parent_id]["location"] + (f"{parent_id}/")
        )
        collection_id = self.next_id("collection")
        collection = self._collection_record(
            collection_id,
            name=name,
            description=description,
            location=location,
            authority_level=authority_level,
            namespace=namespace,
        )
        self.collections[collection_id] = collection
        # Like Metabase, a new collection copies its parent's permissions.
        parent_key: int | str = "root" if parent_id is None else parent_id
        for perms in self.collection_graph["groups"].values():
            if parent_key in perms:
                perms[collection_id] = perms[parent_key]
        return collection

    def parent_id(self, collection: dict[str, Any]) -> int | None:
        parts = [p for p in collection["location"].strip("/").split("/") if p]
        return int(parts[-1]) if parts else None

    def collection_json(self, collection: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        body = dict(collection)
        ancestors = [int(p) for p in collection["location"].strip("/").split("/") if p]
        body["parent_id"] = self.parent_id(collection)
        body["effective_location"] = collection["location"]
        body["effective_ancestors"] = [
            {
                "id": "root",
                "name": "Our analytics",
                "metabase.collections.models.collection.root/is-root?": True,
            }
        ] + [{"id": a, "name": self.collections[a]["name"]} for a in ancestors]
        body["is_personal"] = self.personal_owner(collection) is not None
        perm = self.collection_permission(user, collection["id"])
        body["can_write"] = perm == "write"
        body["can_delete"] = False
        body["can_restore"] = bool(collection["archived"] and perm == "write")
        return body

    def root_collection_json(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "metabase.collections.models.collection.root/is-root?": True,
            "authority_level": None,
            "name": "Our analytics",
            "is_personal": False,
            "id": "root",
            "parent_id": None,
            "effective_location": None,
            "effective_ancestors": [],
            "can_write": self.collection_permission(user, "root") == "write",
            "can_delete": False,
            "can_restore": False,
        }

    def trash_json(self) -> dict[str, Any]:
        return {
            "id": self.trash_id,
            "name": "Trash",
            "type": "trash",
            "location": "/",
            "archived": False,
            "can_write": True,
            "is_personal": False,
            "entity_id": None,
        }

    def descendants(self, collection_id: int) -> list[dict[str, Any]]:
        marker = f"/{collection_id}/"
        return [c for c in self.collections.values() if marker in c["location"]]

    # ---- cards and dashboards --------------------------------------------------------------
    def card_collection_key(self, card: dict[str, Any]) -> int | str:
        if card.get("dashboard_id") and card["dashboard_id"] in self.dashboards:
            card_collection = self.dashboards[card["dashboard_id"]]["collection_id"]
        else:
            card_collection = card["collection_id"]
        return "root" if card_collection is None else card_collection

    def item_permission(self, user: dict[str, Any], item: dict[str, Any]) -> str:
        key = "root" if item.get("collection_id") is None else item["collection_id"]
        if "dataset_query" in item:
            key = self.card_collection_key(item)
        return self.collection_permission(user, key)

    def stop(self) -> None:
        self.stopping.set()
        for thread in list(self.sync_threads):
            thread.join(timeout=5)


def wait(seconds: float, stopping: threading.Event) -> bool:
    """Sleep unless stopping; True if the double is stopping."""
    return stopping.wait(seconds) if seconds > 0 else stopping.is_set()


def monotonic() -> float:
    return time.monotonic()
