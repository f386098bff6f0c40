"""Step 4: the managed root collection and one sub-collection per `collections` key, and the
inventory of the managed tree (cards and dashboards, live and archived) that the next steps
find their objects in.

Identity: the managed root is the collection of that name directly under Metabase's root; a
sub-collection is the collection of its name directly under the managed root.
"""

from __future__ import annotations

import logging

from experiment_analytics.metabase.api import Json
from experiment_analytics.metabase.publishers.base import ManagedTree, Step

_logger = logging.getLogger(__name__)

CARD_MODELS = ("card", "dataset")


class CollectionsStep(Step):
    title = "collections"

    def publish(self) -> None:
        ctx = self.ctx
        config = ctx.specs.config
        name = config.managed_collection
        candidates = [
            c
            for archived in (False, True)
            for c in self.api.root_collections(archived=archived)
            if c.get("name") == name
        ]
        root = self.pick("collection", "(managed root)", candidates, self._archive)
        ctx.root_id = self._ensure("(managed root)", name, "", None, root)
        children: list[Json] = []
        if ctx.root_id > 0:
            children = [
                c
                for archived in (False, True)
                for c in self.api.collection_items(ctx.root_id, ("collection",), archived=archived)
                if c.get("model", "collection") == "collection"
            ]
        for key, spec in config.collections.items():
            found = self.pick(
                "collection",
                key,
                [c for c in children if c.get("name") == spec.name],
                self._archive,
            )
            ctx.collection_ids[key] = self._ensure(
                key, spec.name, spec.description, ctx.root_id, found
            )
        ctx.tree = ManagedTree(root=root, collections=children)
        self.read_inventory()

    def read_inventory(self) -> None:
        """Every card, model and dashboard in the managed tree, live and archived."""
        tree = self.ctx.tree
        tree.cards, tree.dashboards = [], []
        for collection_id in [self.ctx.root_id, *self.ctx.collection_ids.values()]:
            if collection_id < 0:
                continue
            for archived in (False, True):
                for item in self.api.collection_items(
                    collection_id, (*CARD_MODELS, "dashboard"), archived=archived
                ):
                    if item.get("model") in CARD_MODELS:
                        tree.cards.append(item)
                    elif item.get("model") == "dashboard":
                        tree.dashboards.append(item)

    def _archive(self, collection: Json) -> None:
        self.api.update_collection(
            collection["id"], {"archived": True}, what=f"archive collection {collection['name']!r}"
        )

    def _ensure(
        self,
        key: str,
        name: str,
        description: str,
        parent_id: int | None,
        existing: Json | None,
    ) -> int:
        desired = {"name": name, "description": description or None, "parent_id": parent_id}
        if existing is None:
            self.summary.record("collection", key, "created", name)
            if self.ctx.plan or (parent_id is not None and parent_id < 0):
                return self.ctx.placeholder()

            def find() -> Json | None:
                found = (
                    self.api.root_collections(archived=False)
                    if parent_id is None
                    else self.api.collection_items(parent_id, ("collection",), archived=False)
                )
                return next((c for c in found if c.get("name") == name), None)

            created = self.create(
                "collection",
                key,
                lambda: self.api.create_collection(desired, what=f"collection {name!r}"),
                find,
            )
            return created["id"]
        actual = {
            "description": existing.get("description") or None,
            "archived": bool(existing.get("archived")),
        }
        wanted = {"description": desired["description"], "archived": False}
        changes = self.field_changes(wanted, actual)
        if not changes:
            self.summary.record("collection", key, "unchanged")
            return existing["id"]
        self.summary.record(
            "collection",
            key,
            "updated",
            "restored from the trash" if "archived" in changes else "",
            changes,
        )
        if not self.ctx.plan:
            self.api.update_collection(
                existing["id"],
                {k: v for k, v in wanted.items() if k in changes},
                what=f"collection {name!r}",
            )
        return existing["id"]

    def prune(self) -> None:
        wanted = set(self.ctx.collection_ids.values())
        for item in self.ctx.tree.collections:
            if item.get("archived") or item["id"] in wanted:
                continue
            label = f"{item.get('name')} (id {item['id']})"
            self.retire("collection", label, lambda item=item: self._archive(item))
