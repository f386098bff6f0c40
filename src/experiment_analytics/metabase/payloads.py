"""Desired Metabase objects built from the specs, and normalisers that read Metabase's answers
into the same comparable shape (so a second run finds nothing to change).

Objects are found again by their place and name in the managed tree (metabase/README.md,
"Identity"), never by an `entity_id` (the server assigns its own). Dashboard parameters and
template tags carry ids derived from the dashboard/card key and the filter id: those are ids the
server keeps as sent.
"""

from __future__ import annotations

import uuid
from typing import Any

_NAMESPACE = uuid.UUID("6f1d7a52-2c1e-4f7e-9a63-8c1f0e5b7d21")
BOXPLOT_NOTE = (
    "Metabase has no box plot chart: shown as a table of the five-number summary "
    "(minimum, quartiles, median, maximum) per group."
)


def changed_fields(desired: dict[str, Any], actual: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """field -> (old, new) for each normalised field that differs."""
    return {
        key: (actual.get(key), value) for key, value in desired.items() if actual.get(key) != value
    }


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))


def section_id(parameter_type: str) -> str:
    prefix = parameter_type.split("/")[0]
    return {
        "string": "string",
        "category": "string",
        "date": "date",
        "number": "number",
        "location": "location",
        "id": "id",
        "boolean": "boolean",
    }.get(prefix, prefix)


def slugify(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def native_query(database_id: int, sql: str, tags: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "database": database_id,
        "type": "native",
        "native": {"query": sql, "template-tags": tags},
    }


def field_filter_tag(
    owner: str, tag: str, display_name: str, field_id: int, widget_type: str, default: Any = None
) -> dict[str, Any]:
    body = {
        "id": stable_uuid(owner, tag),
        "name": tag,
        "display-name": display_name,
        "type": "dimension",
        "dimension": ["field", field_id, None],
        "widget-type": widget_type,
    }
    if default is not None:
        body["default"] = default
    return body


def _field_id(dimension: Any) -> Any:
    # legacy ["field", 12, null] or MBQL 5 ["field", {"lib/uuid": ...}, 12]
    if isinstance(dimension, list) and len(dimension) >= 3 and dimension[0] == "field":
        return dimension[2] if isinstance(dimension[1], dict) else dimension[1]
    return dimension


def normal_query(dataset_query: dict[str, Any] | None) -> dict[str, Any]:
    """(database, sql, tags) of a native query, legacy (MBQL 4) or MBQL 5 shape."""
    query = dataset_query or {}
    if "stages" in query:
        stage = (query.get("stages") or [{}])[0]
        sql, tags = stage.get("native"), stage.get("template-tags") or {}
    else:
        native = query.get("native") or {}
        sql, tags = native.get("query"), native.get("template-tags") or {}
    normal_tags = {
        name: {
            "type": tag.get("type"),
            "display-name": tag.get("display-name"),
            "widget-type": tag.get("widget-type"),
            "field": _field_id(tag.get("dimension")),
            "default": tag.get("default"),
        }
        for name, tag in tags.items()
    }
    return {"database": query.get("database"), "sql": (sql or "").strip(), "tags": normal_tags}


def normal_card(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": card.get("name"),
        "description": card.get("description") or None,
        "display": card.get("display"),
        "type": card.get("type") or ("model" if card.get("dataset") else "question"),
        "collection_id": card.get("collection_id"),
        "archived": bool(card.get("archived")),
        "visualization_settings": card.get("visualization_settings") or {},
        "query": normal_query(card.get("dataset_query")),
    }


def normal_parameters(parameters: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    keys = ("id", "name", "slug", "type", "sectionId", "default")
    return sorted(
        ({k: p.get(k) for k in keys} for p in parameters or []), key=lambda p: str(p["id"])
    )


def _normal_target(target: Any) -> Any:
    return target[:2] if isinstance(target, list) else target


def normal_dashcards(dashcards: list[dict[str, Any]] | None) -> list[tuple]:
    normal = []
    for dashcard in dashcards or []:
        mappings = tuple(
            sorted(
                (m.get("parameter_id"), m.get("card_id"), repr(_normal_target(m.get("target"))))
                for m in dashcard.get("parameter_mappings") or []
            )
        )
        normal.append(
            (
                dashcard.get("card_id"),
                dashcard.get("row"),
                dashcard.get("col"),
                dashcard.get("size_x"),
                dashcard.get("size_y"),
                mappings,
                repr(sorted((dashcard.get("visualization_settings") or {}).items())),
            )
        )
    return sorted(normal, key=repr)


def normal_dashboard(dashboard: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": dashboard.get("name"),
        "description": dashboard.get("description") or None,
        "collection_id": dashboard.get("collection_id"),
        "width": dashboard.get("width") or "fixed",
        "archived": bool(dashboard.get("archived")),
        "parameters": normal_parameters(dashboard.get("parameters")),
        "dashcards": normal_dashcards(dashboard.get("dashcards") or dashboard.get("ordered_cards")),
    }


def normal_notification(notification: dict[str, Any]) -> dict[str, Any]:
    payload = notification.get("payload") or {}
    handlers = []
    for handler in notification.get("handlers") or []:
        values = sorted(
            str(
                (r.get("details") or {}).get("value")
                or r.get("user_id")
                or r.get("permissions_group_id")
            )
            for r in handler.get("recipients") or []
        )
        handlers.append((handler.get("channel_type"), tuple(values)))
    crons = sorted(s.get("cron_schedule") for s in notification.get("subscriptions") or [])
    return {
        "card_id": payload.get("card_id") or notification.get("payload_id"),
        "send_condition": payload.get("send_condition"),
        "send_once": bool(payload.get("send_once")),
        "active": notification.get("active", True) is not False,
        "handlers": sorted(handlers),
        "crons": crons,
    }


def normal_pulse(pulse: dict[str, Any]) -> dict[str, Any]:
    channels = []
    for channel in pulse.get("channels") or []:
        recipients = sorted(
            str(r.get("email") or r.get("id")) for r in channel.get("recipients") or []
        )
        channels.append(
            (
                channel.get("channel_type"),
                channel.get("schedule_type"),
                channel.get("schedule_hour"),
                channel.get("schedule_day"),
                tuple(recipients),
                (channel.get("details") or {}).get("channel"),
                channel.get("enabled", True) is not False,
            )
        )
    cards = sorted((c.get("id"), c.get("dashboard_card_id")) for c in pulse.get("cards") or [])
    return {
        "name": pulse.get("name"),
        "dashboard_id": pulse.get("dashboard_id"),
        "archived": bool(pulse.get("archived")),
        "cards": cards,
        "channels": sorted(channels, key=repr),
    }
