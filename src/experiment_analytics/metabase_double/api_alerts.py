"""Alerts (/api/notification since 0.54, legacy /api/alert) and dashboard subscriptions
(/api/pulse). None of them has DELETE: archive with `active: false` / `archived: true`."""

from __future__ import annotations

import copy
import re
from typing import Any

from experiment_analytics.metabase_double import validation as v
from experiment_analytics.metabase_double.errors import bad_request, invalid, not_found
from experiment_analytics.metabase_double.routing import ID, Request, route
from experiment_analytics.metabase_double.state import now

PAYLOAD_TYPES = (
    "notification/card",
    "notification/dashboard",
    "notification/system-event",
    "notification/testing",
)
SEND_CONDITIONS = ("has_result", "goal_above", "goal_below")
HANDLER_CHANNELS = ("channel/email", "channel/slack", "channel/http")
RECIPIENT_TYPES = (
    "notification-recipient/user",
    "notification-recipient/group",
    "notification-recipient/raw-value",
    "notification-recipient/template",
)
SUBSCRIPTION_TYPES = ("notification-subscription/cron", "notification-subscription/system-event")
CHANNEL_TYPES = ("email", "slack", "http")
SCHEDULE_TYPES = ("hourly", "daily", "weekly", "monthly")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
FRAMES = ("first", "mid", "last")
# Quartz cron: seconds minutes hours day-of-month month day-of-week [year]
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,\-#LW]+$")


# ---- notifications (0.54+) ------------------------------------------------------------------
def _validate_cron(where: str, cron: Any) -> None:
    if not isinstance(cron, str):
        raise invalid(where, 'value must be a Quartz cron string, e.g. "0 0 9 * * ?".')
    parts = cron.split()
    if len(parts) not in (6, 7) or not all(_CRON_FIELD.match(p) for p in parts):
        raise invalid(where, f"{cron!r} is not a valid Quartz cron expression.")
    if "?" not in (parts[3], parts[5]):
        raise invalid(where, "Quartz cron needs '?' in day-of-month or day-of-week.")


def _validate_recipient(req: Request, where: str, recipient: Any) -> None:
    if not isinstance(recipient, dict):
        raise invalid(where, "value must be a map.")
    rtype = recipient.get("type")
    if rtype not in RECIPIENT_TYPES:
        raise invalid(f"{where}.type", f"value must be one of: {', '.join(RECIPIENT_TYPES)}.")
    if rtype == "notification-recipient/user":
        if recipient.get("user_id") not in req.state.users:
            raise invalid(f"{where}.user_id", "value must be the id of an existing user.")
    elif rtype == "notification-recipient/group":
        if recipient.get("permissions_group_id") not in req.state.groups:
            raise invalid(f"{where}.permissions_group_id", "value must be an existing group id.")
    elif rtype == "notification-recipient/raw-value":
        details = recipient.get("details")
        if (
            not isinstance(details, dict)
            or not isinstance(details.get("value"), str)
            or not (details["value"].strip())
        ):
            raise invalid(f"{where}.details.value", "value must be a non-blank string.")
        if set(details) != {"value"}:  # a closed map on the server
            extra = ", ".join(sorted(set(details) - {"value"}))
            raise invalid(f"{where}.details", f"disallowed key(s): {extra}.")
    else:
        details = recipient.get("details")
        if not isinstance(details, dict) or not isinstance(details.get("pattern"), str):
            raise invalid(f"{where}.details.pattern", "value must be a string.")


def _validate_notification(req: Request, body: dict[str, Any]) -> None:
    payload_type = v.enum(body, "payload_type", PAYLOAD_TYPES, required=True)
    if payload_type == "notification/card":
        payload = v.mapping(body, "payload", required=True)
        card_id = v.integer(payload, "card_id", required=True)
        if card_id not in req.state.cards:
            raise invalid("payload.card_id", f"no card with id {card_id}.")
        v.enum(payload, "send_condition", SEND_CONDITIONS)
        v.boolean(payload, "send_once")
    for index, handler in enumerate(v.array(body, "handlers") or []):
        where = f"handlers[{index}]"
        if not isinstance(handler, dict):
            raise invalid(where, "value must be a map.")
        v.enum(handler, "channel_type", HANDLER_CHANNELS, required=True)
        recipients = handler.get("recipients") or []
        if not isinstance(recipients, list):
            raise invalid(f"{where}.recipients", "value must be an array.")
        for r_index, recipient in enumerate(recipients):
            _validate_recipient(req, f"{where}.recipients[{r_index}]", recipient)
    for index, subscription in enumerate(v.array(body, "subscriptions") or []):
        where = f"subscriptions[{index}]"
        if not isinstance(subscription, dict):
            raise invalid(where, "value must be a map.")
        stype = v.enum(subscription, "type", SUBSCRIPTION_TYPES, required=True)
        if stype == "notification-subscription/cron":
            _validate_cron(f"{where}.cron_schedule", subscription.get("cron_schedule"))
            v.enum(subscription, "ui_display_type", ("cron/raw", "cron/builder"))
        elif not isinstance(subscription.get("event_name"), str):
            raise invalid(f"{where}.event_name", "value must be a string.")


def _matched(existing: list[dict[str, Any]], sent: dict[str, Any], new_id) -> int:
    """The id of a sent handler/subscription/recipient: kept when it names one of `existing`,
    else a new one (Metabase deletes what was sent without id and inserts it again)."""
    known = {item["id"] for item in existing}
    return sent["id"] if sent.get("id") in known else new_id()


def _store_notification(req: Request, body: dict[str, Any], existing: dict | None) -> dict:
    state = req.state
    notification_id = existing["id"] if existing else state.next_id("notification")
    stamp = now()
    old_handlers = existing["handlers"] if existing else []
    handlers = []
    for handler in copy.deepcopy(body.get("handlers") or []):
        handler_id = _matched(old_handlers, handler, lambda: state.next_id("notification_handler"))
        old = next((h for h in old_handlers if h["id"] == handler_id), None)
        recipients = []
        for recipient in handler.get("recipients") or []:
            recipient_id = _matched(
                old["recipients"] if old else [],
                recipient,
                lambda: state.next_id("notification_recipient"),
            )
            recipients.append(
                {**recipient, "id": recipient_id, "notification_handler_id": handler_id}
            )
        handlers.append(
            {
                "id": handler_id,
                "notification_id": notification_id,
                "channel_type": handler["channel_type"],
                "channel_id": handler.get("channel_id"),
                "template_id": handler.get("template_id"),
                "active": handler.get("active", True)
                if handler.get("active") is not None
                else True,
                "recipients": recipients,
            }
        )
    old_subscriptions = existing["subscriptions"] if existing else []
    subscriptions = [
        {
            **s,
            "id": _matched(
                old_subscriptions, s, lambda: state.next_id("notification_subscription")
            ),
            "notification_id": notification_id,
            "ui_display_type": s.get("ui_display_type"),
        }
        for s in copy.deepcopy(body.get("subscriptions") or [])
    ]
    payload = copy.deepcopy(body.get("payload") or {})
    if body["payload_type"] == "notification/card":
        payload = {"send_condition": "has_result", "send_once": False, **payload}
        payload.pop("card", None)
    record = {
        "id": notification_id,
        "payload_type": body["payload_type"],
        "payload_id": existing["payload_id"] if existing else state.next_id("notification_card"),
        "payload": {**payload, "id": existing["payload_id"] if existing else None},
        "active": body.get("active", True) if body.get("active") is not None else True,
        "creator_id": existing["creator_id"] if existing else req.admin["id"],
        "handlers": handlers,
        "subscriptions": subscriptions,
        "created_at": existing["created_at"] if existing else stamp,
        "updated_at": stamp,
    }
    record["payload"]["id"] = record["payload_id"]
    state.notifications[notification_id] = record
    # Schedule triggers exist only for an active notification's cron subscriptions.
    state.triggers[notification_id] = (
        [s["cron_schedule"] for s in subscriptions if s["type"].endswith("/cron")]
        if record["active"]
        else []
    )
    return record


def _notification_json(req: Request, record: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(record)
    creator = req.state.users.get(record["creator_id"])
    body["creator"] = req.state.user_json(creator) if creator else None
    if record["payload_type"] == "notification/card":
        card = req.state.cards.get(record["payload"].get("card_id"))
        body["payload"]["card"] = (
            {k: card[k] for k in ("id", "name", "display", "collection_id", "archived")}
            if card
            else None
        )
    return body


@route("GET", "/api/notification", min_level=54)
def list_notifications(req: Request) -> Any:
    include_inactive = req.flag("include_inactive")
    card_id = req.arg("card_id")
    payload_type = req.arg("payload_type")
    creator_id = req.arg("creator_id")
    result = []
    for record in req.state.notifications.values():
        if not record["active"] and not include_inactive:
            continue
        if card_id is not None and str(record["payload"].get("card_id")) != card_id:
            continue
        if payload_type is not None and record["payload_type"] != payload_type:
            continue
        if creator_id is not None and str(record["creator_id"]) != creator_id:
            continue
        result.append(_notification_json(req, record))
    return result


@route("POST", "/api/notification", min_level=54)
def create_notification(req: Request) -> Any:
    body = v.require_object(req.body)
    _validate_notification(req, body)
    return _notification_json(req, _store_notification(req, body, None))


@route("GET", f"/api/notification/{ID}", min_level=54)
def get_notification(req: Request) -> Any:
    record = req.state.notifications.get(req.id)
    if record is None:
        raise not_found()
    return _notification_json(req, record)


@route("PUT", f"/api/notification/{ID}", min_level=54)
def update_notification(req: Request) -> Any:
    existing = req.state.notifications.get(req.id)
    if existing is None:
        raise not_found()
    body = v.require_object(req.body)
    _validate_notification(req, body)
    return _notification_json(req, _store_notification(req, body, existing))


# ---- legacy alerts --------------------------------------------------------------------------
def _legacy_alert(req: Request, record: dict[str, Any]) -> dict[str, Any]:
    """A card notification in the pre-0.54 alert shape (what GET /api/alert still returns)."""
    payload = record["payload"]
    condition = payload.get("send_condition", "has_result")
    return {
        "id": record["id"],
        "card": {"id": payload.get("card_id")},
        "alert_condition": "rows" if condition == "has_result" else "goal",
        "alert_above_goal": condition == "goal_above" if condition != "has_result" else None,
        "alert_first_only": payload.get("send_once", False),
        "archived": not record["active"],
        "creator_id": record["creator_id"],
        "channels": [
            {"channel_type": h["channel_type"].removeprefix("channel/"), "enabled": h["active"]}
            for h in record["handlers"]
        ],
    }


@route("GET", "/api/alert")
def list_alerts(req: Request) -> Any:
    archived = req.flag("archived")
    if req.level < 54:
        return [a for a in req.state.alerts.values() if a["archived"] == archived]
    return [
        _legacy_alert(req, r)
        for r in req.state.notifications.values()
        if r["payload_type"] == "notification/card" and (not r["active"]) == archived
    ]


@route("GET", f"/api/alert/{ID}")
def get_alert(req: Request) -> Any:
    if req.level < 54:
        alert = req.state.alerts.get(req.id)
        if alert is None:
            raise not_found()
        return alert
    record = req.state.notifications.get(req.id)
    if record is None or record["payload_type"] != "notification/card":
        raise not_found()
    return _legacy_alert(req, record)


@route("POST", "/api/alert", max_level=53)
def create_legacy_alert(req: Request) -> Any:
    """Only in versions before 0.54: enough for a publisher to see it is talking to an old one."""
    body = v.require_object(req.body)
    card = v.mapping(body, "card", required=True)
    if card.get("id") not in req.state.cards:
        raise invalid("card", "value must be {id: <card id>, include_csv, include_xls}.")
    v.enum(body, "alert_condition", ("rows", "goal"), required=True)
    channels = v.array(body, "channels", required=True, non_empty=True)
    for index, channel in enumerate(channels):
        _validate_channel(f"channels[{index}]", channel)
    alert_id = req.state.next_id("notification")
    alert = {
        **copy.deepcopy(body),
        "id": alert_id,
        "archived": False,
        "creator_id": req.admin["id"],
        "created_at": now(),
    }
    req.state.alerts[alert_id] = alert
    return alert


# ---- dashboard subscriptions (/api/pulse) ---------------------------------------------------
def _validate_channel(where: str, channel: Any) -> None:
    if not isinstance(channel, dict):
        raise invalid(where, "value must be a map.")
    v.enum(channel, "channel_type", CHANNEL_TYPES, required=True)
    schedule = v.enum(channel, "schedule_type", SCHEDULE_TYPES, required=True)
    v.integer(channel, "schedule_hour", minimum=0, maximum=23)
    v.enum(channel, "schedule_day", DAYS)
    v.enum(channel, "schedule_frame", FRAMES)
    if schedule == "monthly" and channel.get("schedule_frame") is None:
        raise invalid(f"{where}.schedule_frame", "monthly schedules need first|mid|last.")
    recipients = channel.get("recipients") or []
    if not isinstance(recipients, list):
        raise invalid(f"{where}.recipients", "value must be an array.")
    for index, recipient in enumerate(recipients):
        ok = isinstance(recipient, dict) and (
            isinstance(recipient.get("id"), int)
            or (isinstance(recipient.get("email"), str) and "@" in recipient["email"])
        )
        if not ok:
            raise invalid(f"{where}.recipients[{index}]", "value must be {id} or {email}.")
    if channel["channel_type"] == "slack":
        details = channel.get("details")
        if not isinstance(details, dict) or not isinstance(details.get("channel"), str):
            raise invalid(f"{where}.details.channel", "slack channels need details.channel.")
    if channel["channel_type"] == "email" and not recipients:
        raise invalid(f"{where}.recipients", "email channels need at least one recipient.")


def _validate_pulse(req: Request, body: dict[str, Any], *, partial: bool) -> None:
    if not partial or body.get("name") is not None:
        v.str1(body, "name", required=True)
    if not partial or body.get("cards") is not None:
        cards = v.array(body, "cards", required=True, non_empty=True)
        for index, card in enumerate(cards):
            where = f"cards[{index}]"
            if not isinstance(card, dict) or card.get("id") not in req.state.cards:
                raise invalid(where, "value must be {id: <card id>, include_csv, include_xls}.")
            for flag in ("include_csv", "include_xls"):
                if not isinstance(card.get(flag), bool):
                    raise invalid(f"{where}.{flag}", "value must be a boolean.")
            v.integer(card, "dashboard_card_id")
    if not partial or body.get("channels") is not None:
        channels = v.array(body, "channels", required=True, non_empty=True)
        kinds = [c.get("channel_type") for c in channels if isinstance(c, dict)]
        if len(kinds) != len(set(kinds)):
            raise invalid("channels", "at most one channel per channel_type.")
        for index, channel in enumerate(channels):
            _validate_channel(f"channels[{index}]", channel)
    dashboard_id = v.integer(body, "dashboard_id")
    if dashboard_id is not None and dashboard_id not in req.state.dashboards:
        raise invalid("dashboard_id", f"no dashboard with id {dashboard_id}.")
    v.integer(body, "collection_id")
    v.boolean(body, "skip_if_empty")
    v.parameters(body)


def _channel_record(req: Request, pulse_id: int, channel: dict[str, Any]) -> dict[str, Any]:
    schedule = channel["schedule_type"]
    return {
        "id": req.state.next_id("pulse_channel"),
        "pulse_id": pulse_id,
        "channel_type": channel["channel_type"],
        "enabled": channel.get("enabled", True) if channel.get("enabled") is not None else True,
        "schedule_type": schedule,
        "schedule_hour": None if schedule == "hourly" else channel.get("schedule_hour"),
        "schedule_day": channel.get("schedule_day") if schedule in ("weekly", "monthly") else None,
        "schedule_frame": channel.get("schedule_frame") if schedule == "monthly" else None,
        "recipients": copy.deepcopy(channel.get("recipients") or []),
        "details": copy.deepcopy(channel.get("details") or {}),
    }


def _pulse_json(req: Request, pulse: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(pulse)
    dashboard = req.state.dashboards.get(pulse["dashboard_id"] or 0)
    if dashboard is not None:  # a subscription lives where its dashboard lives
        body["collection_id"] = dashboard["collection_id"]
    return body


@route("GET", "/api/pulse")
def list_pulses(req: Request) -> Any:
    archived = req.flag("archived")
    dashboard_id = req.arg("dashboard_id")
    return [
        _pulse_json(req, p)
        for p in req.state.pulses.values()
        if p["archived"] == archived
        and (dashboard_id is None or str(p["dashboard_id"]) == dashboard_id)
    ]


@route("POST", "/api/pulse")
def create_pulse(req: Request) -> Any:
    body = v.require_object(req.body)
    _validate_pulse(req, body, partial=False)
    pulse_id = req.state.next_id("pulse")
    stamp = now()
    pulse = {
        "id": pulse_id,
        "name": body["name"],
        "dashboard_id": body.get("dashboard_id"),
        "collection_id": body.get("collection_id"),
        "collection_position": body.get("collection_position"),
        "skip_if_empty": bool(body.get("skip_if_empty", False)),
        "parameters": copy.deepcopy(body.get("parameters") or []),
        "cards": copy.deepcopy(body["cards"]),
        "channels": [_channel_record(req, pulse_id, c) for c in body["channels"]],
        "archived": False,
        "creator_id": req.admin["id"],
        "created_at": stamp,
        "updated_at": stamp,
    }
    req.state.pulses[pulse_id] = pulse
    return _pulse_json(req, pulse)


@route("GET", f"/api/pulse/{ID}")
def get_pulse(req: Request) -> Any:
    pulse = req.state.pulses.get(req.id)
    if pulse is None:
        raise not_found()
    return _pulse_json(req, pulse)


@route("PUT", f"/api/pulse/{ID}")
def update_pulse(req: Request) -> Any:
    pulse = req.state.pulses.get(req.id)
    if pulse is None:
        raise not_found()
    body = v.require_object(req.body)
    _validate_pulse(req, body, partial=True)
    current = _pulse_json(req, pulse)
    for key in ("dashboard_id", "collection_id"):
        if body.get(key) is not None and body[key] != current[key]:
            raise bad_request(
                f"A dashboard subscription's {key} cannot be changed "
                f"(it is {current[key]}); create a new subscription instead."
            )
    for key in ("name", "collection_position"):
        if body.get(key) is not None:
            pulse[key] = body[key]
    if body.get("cards") is not None:
        pulse["cards"] = copy.deepcopy(body["cards"])
    if body.get("channels") is not None:
        pulse["channels"] = [_channel_record(req, pulse["id"], c) for c in body["channels"]]
    if body.get("parameters") is not None:
        pulse["parameters"] = copy.deepcopy(body["parameters"])
    if body.get("skip_if_empty") is not None:
        pulse["skip_if_empty"] = body["skip_if_empty"]
    if body.get("archived") is not None:
        pulse["archived"] = v.boolean(body, "archived")
    if pulse["archived"]:  # archiving disables the channels; un-archiving does not re-enable
        for channel in pulse["channels"]:
            channel["enabled"] = False
    pulse["updated_at"] = now()
    return _pulse_json(req, pulse)


def remove_card_alerts(req: Request, card_id: int) -> None:
    """Archiving (or deleting) a card removes the alerts on it, as Metabase does."""
    state = req.state
    for notification_id, record in list(state.notifications.items()):
        if (
            record["payload_type"] == "notification/card"
            and record["payload"].get("card_id") == card_id
        ):
            del state.notifications[notification_id]
            state.triggers.pop(notification_id, None)
    for alert_id, alert in list(state.alerts.items()):
        if alert["card"].get("id") == card_id:
            del state.alerts[alert_id]
