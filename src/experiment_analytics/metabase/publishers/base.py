"""What every publisher shares: the run's context (API, validated specs, settings, summary, the
ids found so far) and the few rules every kind follows:

- identity: an object is found by its place in the managed tree, its kind and its name
  (`ManagedTree.find`); two live objects with one identity stop the run naming both ids, or,
  under `--prune`, the oldest (lowest id) is kept and the others are archived;
- creates are safe to retry: after a lost answer the object is looked up by its identity, with
  a short wait for the server to finish, before anything is sent again (`Step.create`);
- with `plan`, nothing is written and new objects get negative placeholder ids.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from experiment_analytics.metabase.api import Json, MetabaseApi
from experiment_analytics.metabase.errors import MetabaseApiError, PublisherError
from experiment_analytics.metabase.summary import Summary
from experiment_analytics.metabase.validate import Specs
from experiment_analytics.warehouse.connection import ConnectionSettings

_logger = logging.getLogger(__name__)


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
    verbose: bool = False
    # After a create whose answer was lost: how long to look for the object before sending the
    # create again, and the pause between looks.
    create_settle_seconds: float = 10.0
    create_poll_seconds: float = 0.5


class DuplicateObjectError(PublisherError):
    """Two live objects in Metabase have one identity."""


@dataclass
class ManagedTree:
    """The managed root collection, its sub-collections and every card and dashboard in them,
    live and archived (archived ones are restored, not re-created)."""

    root: Json | None = None
    collections: list[Json] = field(default_factory=list)  # children of the managed root
    cards: list[Json] = field(default_factory=list)
    dashboards: list[Json] = field(default_factory=list)


@dataclass
class Context:
    api: MetabaseApi
    specs: Specs
    settings: PublishSettings
    summary: Summary
    minor_version: int = 0
    database_id: int = 0
    fields: dict[tuple[str, str, str], Json] = field(default_factory=dict)
    tree: ManagedTree = field(default_factory=ManagedTree)
    root_id: int = 0
    collection_ids: dict[str, int] = field(default_factory=dict)
    card_ids: dict[str, int] = field(default_factory=dict)  # card key -> id
    dashboards: dict[str, Json] = field(default_factory=dict)  # exposure name -> dashboard
    group_ids: dict[str, int] = field(default_factory=dict)
    all_users_group_id: int = 0
    _placeholders: Any = field(default_factory=lambda: itertools.count(-1, -1))

    @property
    def plan(self) -> bool:
        return self.settings.plan

    def placeholder(self) -> int:
        return next(self._placeholders)


def _label(item: Json) -> str:
    return f"{item.get('name')!r} (id {item.get('id')})"


class Step:
    """Base of the per-kind publishers: `publish()` makes Metabase match the code for one kind;
    `prune()` archives (with --prune) or lists what the code no longer has."""

    title = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.api = ctx.api
        self.summary = ctx.summary

    def publish(self) -> None:
        raise NotImplementedError

    def prune(self) -> None:
        """Nothing to prune for this kind by default."""

    def retire(self, kind: str, label: str, archive: Callable[[], None]) -> None:
        """An object the code no longer has: listed in the notes, or under --prune recorded as
        archived and (unless --plan) archived by `archive`."""
        if not self.ctx.settings.prune:
            self.summary.notes.append(f"not in the code (archive with --prune): {kind} {label}")
            return
        self.summary.record(kind, label, "archived")
        if not self.ctx.plan:
            archive()

    # -- identity -------------------------------------------------------------------------
    def pick(
        self,
        kind: str,
        key: str,
        candidates: list[Json],
        archive: Callable[[Json], None],
    ) -> Json | None:
        """The one object among `candidates` (all with this object's identity): live ones win
        over archived; two live ones are an error unless --prune, which keeps the lowest id and
        archives the rest; among archived only, the lowest id is restored."""
        live = sorted((c for c in candidates if not c.get("archived")), key=lambda c: c["id"])
        if len(live) > 1:
            ids = ", ".join(str(c["id"]) for c in live)
            if not self.ctx.settings.prune:
                raise DuplicateObjectError(
                    f"{kind} {key}: Metabase holds {len(live)} live objects with this identity "
                    f"({', '.join(_label(c) for c in live)}; ids {ids}), e.g. from an earlier "
                    "interrupted run or a hand-made copy. Archive the copies you do not want in "
                    f"Metabase, or re-run with --prune to keep the oldest (id {live[0]['id']}) "
                    "and archive the others."
                )
            for extra in live[1:]:
                self.summary.record(
                    kind,
                    f"{key} duplicate (id {extra['id']})",
                    "archived",
                    f"kept id {live[0]['id']}",
                )
                if not self.ctx.plan:
                    archive(extra)
            return live[0]
        if live:
            return live[0]
        archived = sorted(candidates, key=lambda c: c["id"])
        return archived[0] if archived else None

    # -- writes ---------------------------------------------------------------------------
    def create(
        self, kind: str, key: str, post: Callable[[], Json], find: Callable[[], Json | None]
    ) -> Json:
        """POST once. When the answer is lost (timeout, dropped connection, 5xx) the create may
        have been applied, or may still be: look the object up by its identity for up to
        `create_settle_seconds` before sending it again (at most twice more). 429 means not
        applied: wait and send again."""
        settings = self.ctx.settings
        last: MetabaseApiError | None = None
        for attempt in range(3):
            try:
                return post()
            except MetabaseApiError as exc:
                last = exc
                if exc.status == 429:
                    time.sleep(settings.create_poll_seconds * (attempt + 1))
                    continue
                if not exc.maybe_applied:
                    raise
            _logger.warning(
                "creating %s %s: %s; looking it up before sending it again", kind, key, last
            )
            deadline = time.monotonic() + settings.create_settle_seconds
            while True:
                found = find()
                if found is not None:
                    _logger.info("%s %s was created despite the error; using it", kind, key)
                    return found
                if time.monotonic() >= deadline:
                    break
                time.sleep(settings.create_poll_seconds)
        assert last is not None
        raise last

    def field_changes(self, desired: Json, actual: Json) -> dict[str, tuple[Any, Any]]:
        return {k: (actual.get(k), v) for k, v in desired.items() if actual.get(k) != v}
