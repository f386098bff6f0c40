"""The route table: each API module registers its handlers with `@route`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from experiment_analytics.metabase_double.errors import (
    ApiError,
    forbidden,
    invalid,
    no_endpoint,
    not_found,
)
from experiment_analytics.metabase_double.state import State

ID = r"(?P<id>\d+)"
REF = r"(?P<id>\d+|[A-Za-z0-9_\-]{21})"
# Entity-id paths (GET /api/card/{entity_id}, /api/dashboard/{..}, /api/collection/{..}/items)
# arrived with Metabase PR #60464, merged 2025-07-03; whether 0.56 or 0.57 first shipped it is
# not pinned. The double takes the later one, 0.57: a client that needs these routes on 0.56
# then fails here rather than on a real 0.56 that lacks them (the stricter choice hides less).
ENTITY_ID_ROUTES_FROM = 57


@dataclass
class Request:
    state: State
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    user: dict[str, Any] | None
    sync_delay: float = 0.0

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, []) + self.query.get(f"{name}[]", [])

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.arg(name)
        if value is None:
            return default
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise ApiError(400, {"errors": {name: "value must be a valid boolean string."}})

    @property
    def id(self) -> int:
        return int(self.params["id"])

    @property
    def admin(self) -> dict[str, Any]:
        assert self.user is not None
        return self.user

    def require_superuser(self) -> None:
        if not (self.user and self.user["is_superuser"]):
            raise forbidden()

    def require_read(self, item: dict[str, Any]) -> None:
        """403 unless the caller may see this card or dashboard (by its collection)."""
        if self.state.item_permission(self.admin, item) == "none":
            raise forbidden()

    def require_write(self, item: dict[str, Any]) -> None:
        if self.state.item_permission(self.admin, item) != "write":
            raise forbidden()

    def check_collection(self, collection_id: int | None, *, write: bool = True) -> None:
        """400 if the collection does not exist; 403 if the caller may not write (read) it."""
        if collection_id is not None and collection_id not in self.state.collections:
            raise invalid("collection_id", f"no collection with id {collection_id}.")
        key: int | str = "root" if collection_id is None else collection_id
        perm = self.state.collection_permission(self.admin, key)
        if perm == "none" or (write and perm != "write"):
            raise forbidden()

    @property
    def level(self) -> int:
        """The reported Metabase version's feature level: 57 for v0.57.6."""
        return self.state.feature_level[0]

    def lookup(self, entities: dict[int, dict[str, Any]], ref: str | None = None) -> dict:
        """An entity by numeric id or (from 0.57) 21-char entity_id; 404 if absent. Before
        0.57 the route takes digits only, so a NanoID gets "API endpoint does not exist"."""
        ref = ref if ref is not None else self.params["id"]
        if not ref.isdigit() and self.level < ENTITY_ID_ROUTES_FROM:
            raise no_endpoint()
        if ref.isdigit():
            entity = entities.get(int(ref))
        else:
            entity = next((e for e in entities.values() if e.get("entity_id") == ref), None)
        if entity is None:
            raise not_found()
        return entity


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool
    min_level: int | None
    max_level: int | None
    locked: bool
    status: int


ROUTES: list[Route] = []


def route(
    method: str,
    pattern: str,
    *,
    auth: bool = True,
    min_level: int | None = None,
    max_level: int | None = None,
    locked: bool = True,
    status: int = 200,
) -> Callable[[Handler], Handler]:
    """Register a handler. `min_level`/`max_level`: the Metabase versions (minor numbers) that
    have the endpoint; `locked=False` for handlers that take the state lock themselves."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(
            Route(
                method,
                re.compile(f"^{pattern}/?$"),
                handler,
                auth,
                min_level,
                max_level,
                locked,
                status,
            )
        )
        return handler

    return register


def resolve(method: str, path: str, level: int) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES:
        if candidate.method != method:
            continue
        if candidate.min_level is not None and level < candidate.min_level:
            continue
        if candidate.max_level is not None and level > candidate.max_level:
            continue
        match = candidate.pattern.match(path)
        if match:
            return candidate, match.groupdict()
    return None
