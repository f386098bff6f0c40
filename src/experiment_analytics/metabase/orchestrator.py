"""Make a Metabase instance match the code: run the per-kind publishers in order, one progress
line per step (metabase/README.md, "What a run does"). The orchestrator holds no logic of its
own; each step reads only the objects it manages, compares, and writes only what differs (with
`plan`, nothing), so a second run sends no writes.
"""

from __future__ import annotations

import logging
import time

from experiment_analytics.metabase.api import MetabaseApi
from experiment_analytics.metabase.client import MetabaseClient
from experiment_analytics.metabase.publishers.access import AccessStep
from experiment_analytics.metabase.publishers.base import Context, PublishSettings, Step
from experiment_analytics.metabase.publishers.cards import CardsStep
from experiment_analytics.metabase.publishers.collections import CollectionsStep
from experiment_analytics.metabase.publishers.dashboards import DashboardsStep
from experiment_analytics.metabase.publishers.database import DatabaseStep, VersionStep
from experiment_analytics.metabase.publishers.notifications import AlertsStep, SubscriptionsStep
from experiment_analytics.metabase.summary import Summary
from experiment_analytics.metabase.validate import Specs

_logger = logging.getLogger(__name__)

STEPS: tuple[type[Step], ...] = (
    VersionStep,
    DatabaseStep,
    CollectionsStep,
    CardsStep,
    DashboardsStep,
    AccessStep,
    AlertsStep,
    SubscriptionsStep,
)
# Pruning runs last, subscriptions and cards (with their alerts) before the dashboards and
# collections that hold them.
PRUNE_ORDER: tuple[type[Step], ...] = (
    SubscriptionsStep,
    CardsStep,
    DashboardsStep,
    CollectionsStep,
)

__all__ = ["STEPS", "PublishSettings", "Publisher"]


class Publisher:
    def __init__(self, client: MetabaseClient, specs: Specs, settings: PublishSettings):
        self.ctx = Context(MetabaseApi(client), specs, settings, Summary(plan=settings.plan))
        self.steps = {step: step(self.ctx) for step in STEPS}

    @property
    def summary(self) -> Summary:
        return self.ctx.summary

    def run(self) -> Summary:
        total = len(self.steps) + 1
        for number, step in enumerate(self.steps.values(), start=1):
            self._run(number, total, step.title, step.publish)
        prune = "prune" if self.ctx.settings.prune else "objects no longer in the code"
        self._run(total, total, prune, self._prune)
        return self.ctx.summary

    def _prune(self) -> None:
        for kind in PRUNE_ORDER:
            self.steps[kind].prune()

    def _run(self, number: int, total: int, title: str, action) -> None:
        before = len(self.ctx.summary.changes)
        started = time.monotonic()
        action()
        changes = self.ctx.summary.changes[before:]
        pending = sum(1 for c in changes if c.action != "unchanged")
        verb = "to change" if self.ctx.plan else "changed"
        _logger.info(
            "[%d/%d] %s: %d checked, %d %s (%.1fs)",
            number,
            total,
            title,
            len(changes),
            pending,
            verb,
            time.monotonic() - started,
        )
