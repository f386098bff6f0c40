"""Step 6: dashboards — parameters, dashcards (layout + parameter mappings
`["dimension", ["template-tag", tag]]`), description and width in one PUT.

Identity: a dashboard is the dashboard of its name in the managed tree (names unique, checked
before any write). Dashcards added by hand to a managed dashboard are removed by the next run.
"""

from __future__ import annotations

import itertools
import logging

from experiment_analytics.metabase import payloads
from experiment_analytics.metabase.api import Json
from experiment_analytics.metabase.publishers.base import Step
from experiment_analytics.metabase.spec import DashboardSpec

_logger = logging.getLogger(__name__)


class DashboardsStep(Step):
    title = "dashboards"

    def publish(self) -> None:
        for spec in self.ctx.specs.dashboards:
            self.ctx.dashboards[spec.dashboard] = self._publish(spec)
            dashboard_id = self.ctx.dashboards[spec.dashboard]["id"]
            if dashboard_id > 0:
                self.summary.dashboard_urls[spec.dashboard] = (
                    f"{self.api.url}/dashboard/{dashboard_id}"
                )

    def _archive(self, item: Json) -> None:
        self.api.update_dashboard(
            item["id"], {"archived": True}, what=f"archive dashboard {item['name']!r}"
        )

    def _find_created(self, name: str, collection_id: int) -> Json | None:
        found = [
            d
            for d in self.api.collection_items(collection_id, ("dashboard",), archived=False)
            if d.get("name") == name
        ]
        return min(found, key=lambda d: d["id"]) if found else None

    def _publish(self, spec: DashboardSpec) -> Json:
        ctx = self.ctx
        what = f"dashboard {spec.dashboard}"
        collection_id = ctx.collection_ids[spec.collection]
        candidates = [d for d in ctx.tree.dashboards if d.get("name") == spec.name]
        existing = self.pick("dashboard", spec.dashboard, candidates, self._archive)
        created = False
        if existing is None:
            self.summary.record("dashboard", spec.dashboard, "created", spec.name)
            created = True
            if ctx.plan or collection_id < 0:
                return {"id": ctx.placeholder(), "dashcards": [], "collection_id": collection_id}
            shell = {
                "name": spec.name,
                "description": spec.description or None,
                "collection_id": collection_id,
            }
            existing = self.create(
                "dashboard",
                spec.dashboard,
                lambda: self.api.create_dashboard(shell, what=what),
                lambda: self._find_created(spec.name, collection_id),
            )
        current = self.api.get_dashboard(existing["id"], what=what)
        body = self._body(spec, current)
        desired, actual = payloads.normal_dashboard(body), payloads.normal_dashboard(current)
        changes = payloads.changed_fields(desired, actual)
        if not changes:
            if not created:
                self.summary.record("dashboard", spec.dashboard, "unchanged")
            return current
        if not created:
            detail = "restored from the trash" if "archived" in changes else ""
            self.summary.record("dashboard", spec.dashboard, "updated", detail, changes)
        if ctx.plan:
            return current
        answer = self.api.update_dashboard(current["id"], body, what=what)
        if not isinstance(answer, dict) or "dashcards" not in answer:
            answer = self.api.get_dashboard(current["id"], what=what)
        return answer

    def _body(self, spec: DashboardSpec, current: Json) -> Json:
        ctx = self.ctx
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
            card_id = ctx.card_ids[f"{spec.dashboard}.{card_spec.key}"]
            mappings = [
                {
                    "parameter_id": filter_id,
                    "card_id": card_id,
                    "target": ["dimension", ["template-tag", mapping.tag]],
                }
                for filter_id, mapping in card_spec.filters.items()
            ]
            pos = card_spec.position
            found = existing.get(card_id)
            dashcards.append(
                {
                    "id": found["id"] if found else next(new_ids),
                    "card_id": card_id,
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
            "collection_id": ctx.collection_ids[spec.collection],
            "width": spec.width,
            "archived": False,
            "parameters": parameters,
            "dashcards": dashcards,
        }

    def prune(self) -> None:
        wanted = {d["id"] for d in self.ctx.dashboards.values()}
        for item in self.ctx.tree.dashboards:
            if item.get("archived") or item["id"] in wanted:
                continue
            label = f"{item.get('name')} (id {item['id']})"
            self.retire("dashboard", label, lambda item=item: self._retire_dashboard(item))

    def _retire_dashboard(self, item: Json) -> None:
        # Its subscriptions would keep sending: archive them first.
        for pulse in self.api.pulses_of_dashboard(item["id"]):
            if not pulse.get("archived"):
                self.api.update_pulse(
                    pulse["id"], {"archived": True}, what=f"subscription {pulse.get('name')}"
                )
        self._archive(item)
