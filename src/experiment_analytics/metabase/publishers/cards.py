"""Step 5: cards — Metabase models (type `model`), dashboard questions and alert questions, as
native SQL; each filter tag becomes a field-filter template tag.

Identity: a card is the card of its name in the managed tree (card names are unique there,
checked before any write). No `entity_id` is ever sent: the server assigns its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from experiment_analytics.metabase import payloads
from experiment_analytics.metabase.api import Json
from experiment_analytics.metabase.publishers.base import Step
from experiment_analytics.metabase.publishers.database import field_id
from experiment_analytics.metabase.spec import AlertSpec, CardSpec, DashboardSpec, ModelSpec
from experiment_analytics.metabase.validate import template_tags

_logger = logging.getLogger(__name__)

KIND_LABEL = {"model": "metabase model", "alert": "alert question", "question": "card"}


@dataclass
class DesiredCard:
    """A card to publish: a dashboard card, a Metabase model or an alert question."""

    kind: str  # question | model | alert
    key: str
    name: str
    description: str
    display: str
    collection: str
    query: str
    visualization_settings: dict[str, Any]
    # tag -> (display name, FieldRef, widget type, default)
    filters: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return KIND_LABEL[self.kind]


def _plain(kind: str, spec: ModelSpec | AlertSpec) -> DesiredCard:
    return DesiredCard(
        kind, spec.key, spec.name, spec.description, "table", spec.collection, spec.query, {}
    )


def _dashboard_card(spec: DashboardSpec, card: CardSpec) -> DesiredCard:
    display, description = card.display, card.description
    if display == "boxplot":
        display = "table"
        description = f"{description} {payloads.BOXPLOT_NOTE}".strip()
    filters = {}
    for filter_id, mapping in card.filters.items():
        dashboard_filter = spec.filter(filter_id)
        assert dashboard_filter is not None  # checked when parsing
        filters[mapping.tag] = (
            dashboard_filter.name,
            mapping.field,
            dashboard_filter.type,
            dashboard_filter.default,
        )
    return DesiredCard(
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


def desired_cards(specs) -> list[DesiredCard]:
    cards = [_plain("model", m) for m in specs.config.metabase_models]
    cards += [_dashboard_card(d, c) for d in specs.dashboards for c in d.cards]
    cards += [_plain("alert", a) for a in specs.config.alerts]
    return cards


class CardsStep(Step):
    title = "cards and models"

    def publish(self) -> None:
        for card in desired_cards(self.ctx.specs):
            self.ctx.card_ids[card.key] = self._publish(card)

    def _body(self, card: DesiredCard) -> Json:
        ctx = self.ctx
        sql = ctx.specs.project.analyses[card.query].compiled_sql
        tags = {}
        for tag in template_tags(sql):
            display_name, ref, widget, default = card.filters[tag]
            tags[tag] = payloads.field_filter_tag(
                card.key, tag, display_name, field_id(ctx, ref), widget, default
            )
        return {
            "name": card.name,
            "description": card.description or None,
            "display": card.display,
            "type": "model" if card.kind == "model" else "question",
            "collection_id": ctx.collection_ids[card.collection],
            "archived": False,
            "visualization_settings": card.visualization_settings,
            "dataset_query": payloads.native_query(ctx.database_id, sql, tags),
        }

    def _candidates(self, name: str) -> list[Json]:
        return [c for c in self.ctx.tree.cards if c.get("name") == name]

    def _find_created(self, card: DesiredCard, collection_id: int) -> Json | None:
        found = [
            c
            for c in self.api.collection_items(collection_id, ("card", "dataset"), archived=False)
            if c.get("name") == card.name
        ]
        return min(found, key=lambda c: c["id"]) if found else None

    def _archive(self, item: Json) -> None:
        self.api.update_card(item["id"], {"archived": True}, what=f"archive card {item['name']!r}")

    def _publish(self, card: DesiredCard) -> int:
        ctx = self.ctx
        body = self._body(card)
        what = f"{card.label} {card.key}"
        existing = self.pick(card.label, card.key, self._candidates(card.name), self._archive)
        if existing is None:
            self.summary.record(card.label, card.key, "created", card.name)
            if ctx.plan or body["collection_id"] < 0:
                return ctx.placeholder()
            created = self.create(
                card.label,
                card.key,
                lambda: self.api.create_card(body, what=what),
                lambda: self._find_created(card, body["collection_id"]),
            )
            return created["id"]
        current = self.api.get_card(existing["id"], what=what)
        desired, actual = payloads.normal_card(body), payloads.normal_card(current)
        changes = payloads.changed_fields(desired, actual)
        if not changes:
            self.summary.record(card.label, card.key, "unchanged")
            return current["id"]
        detail = "restored from the trash" if "archived" in changes else ""
        self.summary.record(card.label, card.key, "updated", detail, _readable(changes))
        if not ctx.plan:
            self.api.update_card(current["id"], body, what=what)
        return current["id"]

    def prune(self) -> None:
        wanted = set(self.ctx.card_ids.values())
        for item in self.ctx.tree.cards:
            if item.get("archived") or item["id"] in wanted:
                continue
            label = f"{item.get('name')} (id {item['id']})"
            self.retire(
                "card", label, lambda item=item, label=label: self._retire_card(item, label)
            )

    def _retire_card(self, item: Json, label: str) -> None:
        # An alert on it would keep firing until the server drops it: deactivate first.
        for notification in self.api.notifications_of_card(item["id"]):
            if notification.get("active", True):
                self.api.update_notification(
                    notification["id"],
                    {**notification, "active": False},
                    what=f"alert on card {label}",
                )
        self._archive(item)


def _readable(changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """The query's parts as separate fields (sql, tags, database) for the plan."""
    out = {}
    for name, (old, new) in changes.items():
        if name == "query" and isinstance(old, dict) and isinstance(new, dict):
            for part in ("database", "sql", "tags"):
                if old.get(part) != new.get(part):
                    out[f"query.{part}"] = (old.get(part), new.get(part))
        else:
            out[name] = (old, new)
    return out
