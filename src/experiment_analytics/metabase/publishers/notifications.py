"""Step 8: alerts (`/api/notification`, 0.54+) and dashboard subscriptions (`/api/pulse`).

Identity: an alert is the card notification on its alert question (one per question); a
subscription is the subscription of its name on its dashboard. Recipients come resolved and
checked from validation (`Specs.channels`). Raw-value recipient details are exactly
`{"value": ...}` (a closed map on the server); `ui_display_type` is left out (optional, and not
pinned for 0.54).
"""

from __future__ import annotations

import logging

from experiment_analytics.metabase import payloads
from experiment_analytics.metabase.api import Json
from experiment_analytics.metabase.publishers.base import Step
from experiment_analytics.metabase.spec import AlertSpec, SubscriptionSpec

_logger = logging.getLogger(__name__)


class AlertsStep(Step):
    title = "alerts"

    def publish(self) -> None:
        for alert in self.ctx.specs.config.alerts:
            self._publish(alert)

    def _handlers(self, channel_keys: tuple[str, ...]) -> list[Json]:
        """One handler per channel type, as Metabase's alert form makes them: two email channels
        of an alert (e.g. engineering and the ML team) are one email handler to both."""
        values_by_type: dict[str, list[str]] = {}
        for key in channel_keys:
            channel = self.ctx.specs.channels[key]
            values = values_by_type.setdefault(f"channel/{channel.type}", [])
            values.extend(value for value in channel.values if value not in values)
        return [
            {
                "channel_type": channel_type,
                "recipients": [
                    {"type": "notification-recipient/raw-value", "details": {"value": value}}
                    for value in values
                ],
            }
            for channel_type, values in values_by_type.items()
        ]

    def _deactivate(self, notification: Json) -> None:
        self.api.update_notification(
            notification["id"],
            {**notification, "active": False},
            what=f"deactivate duplicate alert {notification['id']}",
        )

    def _publish(self, alert: AlertSpec) -> None:
        ctx = self.ctx
        card_id = ctx.card_ids[alert.key]
        what = f"alert {alert.key}"
        body = {
            "payload_type": "notification/card",
            "payload": {
                "card_id": card_id,
                "send_condition": "has_result",
                "send_once": alert.send_once,
            },
            "active": True,
            "subscriptions": [
                {"type": "notification-subscription/cron", "cron_schedule": alert.schedule}
            ],
            "handlers": self._handlers(alert.channels),
        }
        candidates = [] if card_id < 0 else self.api.notifications_of_card(card_id)
        for n in candidates:  # an inactive notification counts as archived
            n["archived"] = n.get("active") is False
        current = self.pick("alert", alert.key, candidates, self._deactivate)
        if current is None:
            self.summary.record("alert", alert.key, "created", alert.name)
            if not ctx.plan:
                self.create(
                    "alert",
                    alert.key,
                    lambda: self.api.create_notification(body, what=what),
                    lambda: next(
                        (
                            n
                            for n in self.api.notifications_of_card(card_id)
                            if n.get("active") is not False
                        ),
                        None,
                    ),
                )
            return
        desired, actual = payloads.normal_notification(body), payloads.normal_notification(current)
        changes = payloads.changed_fields(desired, actual)
        if not changes:
            self.summary.record("alert", alert.key, "unchanged")
            return
        self.summary.record(
            "alert",
            alert.key,
            "updated",
            "re-activated" if "active" in changes else "",
            changes,
        )
        if not ctx.plan:
            update = {
                **{k: v for k, v in current.items() if k != "archived"},
                **body,
                "id": current["id"],
                "payload": {**(current.get("payload") or {}), **body["payload"]},
            }
            self.api.update_notification(current["id"], update, what=what)


class SubscriptionsStep(Step):
    title = "subscriptions"

    def publish(self) -> None:
        for subscription in self.ctx.specs.config.subscriptions:
            self._publish(subscription)

    def _channels(self, subscription: SubscriptionSpec) -> list[Json]:
        channels = []
        schedule = subscription.schedule
        for key in subscription.channels:
            channel = self.ctx.specs.channels[key]
            base = {
                "channel_type": channel.type,
                "enabled": True,
                "schedule_type": schedule.type,
                "schedule_hour": schedule.hour if schedule.type != "hourly" else None,
                "schedule_day": schedule.day if schedule.type in {"weekly", "monthly"} else None,
                "schedule_frame": "first" if schedule.type == "monthly" else None,
            }
            if channel.type == "email":
                channels.append(
                    {**base, "recipients": [{"email": e} for e in channel.values], "details": {}}
                )
            else:
                channels.append(
                    {**base, "recipients": [], "details": {"channel": channel.values[0]}}
                )
        return channels

    def _archive(self, pulse: Json) -> None:
        self.api.update_pulse(
            pulse["id"], {"archived": True}, what=f"archive subscription {pulse.get('name')!r}"
        )

    def _publish(self, subscription: SubscriptionSpec) -> None:
        ctx = self.ctx
        dashboard = ctx.dashboards[subscription.dashboard]
        dashboard_id = dashboard["id"]
        what = f"subscription {subscription.key}"
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
            "channels": self._channels(subscription),
        }
        candidates = [
            p
            for archived in ((False, True) if dashboard_id > 0 else ())
            for p in self.api.pulses_of_dashboard(dashboard_id, archived=archived)
            if p.get("name") == subscription.name
        ]
        current = self.pick("subscription", subscription.key, candidates, self._archive)
        if current is None:
            self.summary.record("subscription", subscription.key, "created", subscription.name)
            if not ctx.plan:
                self.create(
                    "subscription",
                    subscription.key,
                    lambda: self.api.create_pulse(body, what=what),
                    lambda: next(
                        (
                            p
                            for p in self.api.pulses_of_dashboard(dashboard_id)
                            if p.get("name") == subscription.name
                        ),
                        None,
                    ),
                )
            return
        desired, actual = payloads.normal_pulse(body), payloads.normal_pulse(current)
        changes = payloads.changed_fields(desired, actual)
        if not changes:
            self.summary.record("subscription", subscription.key, "unchanged")
            return
        detail = "restored from the trash" if "archived" in changes else ""
        self.summary.record("subscription", subscription.key, "updated", detail, changes)
        if not ctx.plan:
            # The server refuses to change a subscription's dashboard or collection: not sent.
            update = {k: v for k, v in body.items() if k not in {"dashboard_id", "collection_id"}}
            self.api.update_pulse(current["id"], update, what=what)

    def prune(self) -> None:
        """Subscriptions on managed dashboards whose name is no longer in the code."""
        ctx = self.ctx
        wanted: dict[int, set[str]] = {}
        for subscription in ctx.specs.config.subscriptions:
            dashboard_id = ctx.dashboards[subscription.dashboard]["id"]
            wanted.setdefault(dashboard_id, set()).add(subscription.name)
        for name, dashboard in ctx.dashboards.items():
            if dashboard["id"] < 0:
                continue
            for pulse in self.api.pulses_of_dashboard(dashboard["id"]):
                if pulse.get("archived") or pulse.get("name") in wanted.get(dashboard["id"], set()):
                    continue
                label = f"{pulse.get('name')} (id {pulse['id']}, dashboard {name})"
                self.retire("subscription", label, lambda pulse=pulse: self._archive(pulse))
