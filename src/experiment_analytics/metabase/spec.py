"""The publisher's configuration: `metabase/publisher.yml` and `metabase/dashboards/*.yml`.

Parsing turns the YAML into frozen dataclasses and reports every structural problem (missing or
unknown keys, wrong types) with the file, dashboard and card it is in. Checks that need the dbt
project or the warehouse live in `validate.py`. The format is documented in metabase/README.md.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from experiment_analytics.metabase.errors import SpecError

_logger = logging.getLogger(__name__)

GRID_COLUMNS = 24
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# Metabase parameter types (metabase.lib.schema.parameter.type) that make sense for a field filter.
PARAMETER_TYPES = frozenset(
    {
        "category",
        "id",
        "number/=",
        "number/!=",
        "number/<=",
        "number/>=",
        "number/between",
        "string/=",
        "string/!=",
        "string/contains",
        "string/does-not-contain",
        "string/starts-with",
        "string/ends-with",
        "date/single",
        "date/range",
        "date/month-year",
        "date/quarter-year",
        "date/relative",
        "date/all-options",
        "location/city",
        "location/state",
        "location/zip_code",
        "location/country",
        "boolean/=",
    }
)
# Metabase's card displays, plus `boxplot`, which the publisher renders as an honest fallback.
DISPLAYS = frozenset(
    {
        "table",
        "bar",
        "line",
        "pie",
        "scalar",
        "row",
        "area",
        "combo",
        "pivot",
        "smartscalar",
        "gauge",
        "progress",
        "funnel",
        "object",
        "map",
        "scatter",
        "waterfall",
        "boxplot",
    }
)
COLLECTION_LEVELS = frozenset({"read", "write"})
CHANNEL_TYPES = frozenset({"email", "slack"})
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
SCHEDULE_TYPES = frozenset({"hourly", "daily", "weekly", "monthly"})
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class FieldRef:
    model: str
    column: str


@dataclass(frozen=True)
class Position:
    row: int
    col: int
    size_x: int
    size_y: int

    def overlaps(self, other: Position) -> bool:
        return (
            self.col < other.col + other.size_x
            and other.col < self.col + self.size_x
            and self.row < other.row + other.size_y
            and other.row < self.row + self.size_y
        )


@dataclass(frozen=True)
class DashboardFilter:
    id: str
    name: str
    type: str
    field: FieldRef | None = None
    default: Any = None


@dataclass(frozen=True)
class CardFilter:
    tag: str
    field: FieldRef


@dataclass(frozen=True)
class CardSpec:
    key: str
    name: str
    description: str
    display: str
    query: str
    columns: tuple[str, ...]
    visualization_settings: dict[str, Any]
    position: Position
    filters: dict[str, CardFilter]


@dataclass(frozen=True)
class DashboardSpec:
    dashboard: str
    name: str
    description: str
    collection: str
    width: str
    filters: tuple[DashboardFilter, ...]
    cards: tuple[CardSpec, ...]
    path: Path

    def filter(self, filter_id: str) -> DashboardFilter | None:
        return next((item for item in self.filters if item.id == filter_id), None)


@dataclass(frozen=True)
class CollectionSpec:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str
    collections: dict[str, str]
    native_queries: bool


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str
    description: str
    collection: str
    query: str


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    type: str
    recipients: tuple[str, ...] = ()
    channel: str | None = None


@dataclass(frozen=True)
class AlertSpec:
    key: str
    name: str
    description: str
    collection: str
    query: str
    schedule: str
    send_once: bool
    channels: tuple[str, ...]


@dataclass(frozen=True)
class ScheduleSpec:
    type: str
    hour: int | None = None
    day: str | None = None


@dataclass(frozen=True)
class SubscriptionSpec:
    key: str
    name: str
    dashboard: str
    schedule: ScheduleSpec
    channels: tuple[str, ...]


@dataclass(frozen=True)
class PublisherConfig:
    managed_collection: str
    collections: dict[str, CollectionSpec]
    groups: dict[str, GroupSpec]
    metabase_models: tuple[ModelSpec, ...]
    alerts: tuple[AlertSpec, ...]
    channels: dict[str, ChannelSpec]
    subscriptions: tuple[SubscriptionSpec, ...]
    path: Path


@dataclass
class _Reader:
    """Reads one YAML mapping and records problems with a location prefix instead of raising."""

    where: str
    data: dict[str, Any]
    problems: list[str]
    allowed: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.allowed:
            for unknown in sorted(set(self.data) - self.allowed):
                self.problems.append(
                    f"{self.where}: unknown key {unknown!r} "
                    f"(allowed: {', '.join(sorted(self.allowed))})"
                )

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., *, check=None):
        if key not in self.data or self.data[key] is None:
            if default is ...:
                self.problems.append(f"{self.where}: missing required key {key!r}")
                return None
            return default
        value = self.data[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.problems.append(f"{self.where}: {key!r} must be {names}, got {value!r}")
            return None if default is ... else default
        if check is not None:
            message = check(value)
            if message:
                self.problems.append(f"{self.where}: {key!r} {message}")
        return value

    def child(self, key: str, value: Any, allowed: set[str]) -> _Reader | None:
        if not isinstance(value, dict):
            self.problems.append(f"{self.where}: {key} must be a mapping, got {value!r}")
            return None
        return _Reader(f"{self.where}, {key}", value, self.problems, frozenset(allowed))


def _is_key(value: str) -> str | None:
    return None if KEY_PATTERN.match(value) else "must be a lowercase identifier"


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise SpecError([f"{path}: file not found"]) from exc
    except yaml.YAMLError as exc:
        raise SpecError([f"{path}: not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise SpecError([f"{path}: must hold a YAML mapping"])
    return data


def expand_env(value: str, environ: dict[str, str] | None = None) -> str:
    """Expand `${NAME}` and `${NAME:-default}` (shell style) in a configuration value."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = env.get(name)
        if found:
            return found
        if default is not None:
            return default
        raise SpecError([f"environment variable {name} is not set (used as ${{{name}}})"])

    return _ENV_PATTERN.sub(replace, value)


def _field_ref(reader: _Reader, key: str, value: Any) -> FieldRef | None:
    sub = reader.child(key, value, {"model", "column"})
    if sub is None:
        return None
    model = sub.get("model", str)
    column = sub.get("column", str)
    return FieldRef(model, column) if model and column else None


def parse_dashboard(path: Path) -> DashboardSpec:
    """Parse one dashboard spec; raise SpecError listing every structural problem."""
    data = _load_yaml(path)
    problems: list[str] = []
    name_hint = data.get("dashboard", path.stem)
    top = _Reader(
        f"{path} (dashboard {name_hint})",
        data,
        problems,
        frozenset({"dashboard", "name", "description", "collection", "width", "filters", "cards"}),
    )
    dashboard = top.get("dashboard", str, check=_is_key)
    name = top.get("name", str)
    description = top.get("description", str, "")
    collection = top.get("collection", str)
    width = top.get(
        "width",
        str,
        "fixed",
        check=lambda v: None if v in {"fixed", "full"} else "must be fixed or full",
    )
    filters: list[DashboardFilter] = []
    for index, item in enumerate(top.get("filters", list, [])):
        sub = top.child(f"filter #{index + 1}", item, {"id", "name", "type", "field", "default"})
        if sub is None:
            continue
        filter_id = sub.get("id", str, check=_is_key)
        sub.where = f"{top.where}, filter {filter_id}"
        ftype = sub.get(
            "type",
            str,
            check=lambda v: (
                None if v in PARAMETER_TYPES else f"is not a Metabase parameter type ({v})"
            ),
        )
        field_ref = _field_ref(sub, "field", item["field"]) if item.get("field") else None
        filters.append(
            DashboardFilter(filter_id, sub.get("name", str), ftype, field_ref, item.get("default"))
        )
    cards: list[CardSpec] = []
    for index, item in enumerate(top.get("cards", list, [])):
        card = _parse_card(top, index, item)
        if card is not None:
            cards.append(card)
    if problems:
        raise SpecError(problems)
    return DashboardSpec(
        dashboard, name, description, collection, width, tuple(filters), tuple(cards), path
    )


def _parse_card(top: _Reader, index: int, item: Any) -> CardSpec | None:
    allowed = {
        "key",
        "name",
        "description",
        "display",
        "query",
        "columns",
        "visualization_settings",
        "position",
        "filters",
    }
    label = (
        f"card {item['key']}"
        if isinstance(item, dict) and item.get("key")
        else f"card #{index + 1}"
    )
    sub = top.child(label, item, allowed)
    if sub is None:
        return None
    key = sub.get("key", str, check=_is_key)
    sub.where = f"{top.where}, card {key}"
    display = sub.get(
        "display",
        str,
        check=lambda v: (
            None if v in DISPLAYS else f"is not a supported display ({', '.join(sorted(DISPLAYS))})"
        ),
    )
    columns = sub.get("columns", list)
    if columns is not None and (not columns or not all(isinstance(c, str) for c in columns)):
        sub.problems.append(f"{sub.where}: 'columns' must be a non-empty list of column names")
        columns = None
    settings = sub.get("visualization_settings", dict, {})
    position = None
    raw_position = sub.get("position", dict)
    if raw_position is not None:
        pos = sub.child("position", raw_position, {"row", "col", "size_x", "size_y"})
        values = {k: pos.get(k, int) for k in ("row", "col", "size_x", "size_y")}
        if all(v is not None for v in values.values()):
            position = Position(**values)
    filters: dict[str, CardFilter] = {}
    for filter_id, mapping in (sub.get("filters", dict, {}) or {}).items():
        fsub = sub.child(f"filter {filter_id}", mapping, {"tag", "field"})
        if fsub is None:
            continue
        tag = fsub.get("tag", str, check=_is_key)
        field_ref = (
            _field_ref(fsub, "field", mapping.get("field"))
            if mapping.get("field")
            else fsub.get("field", dict)
        )
        if tag and isinstance(field_ref, FieldRef):
            filters[str(filter_id)] = CardFilter(tag, field_ref)
    name = sub.get("name", str)
    query = sub.get("query", str)
    description = sub.get("description", str, "")
    if None in (key, name, display, query, columns, position):
        return None
    return CardSpec(
        key, name, description, display, query, tuple(columns), settings, position, filters
    )


def parse_publisher(path: Path, *, managed_collection: str | None = None) -> PublisherConfig:
    """Parse publisher.yml; `managed_collection` (flag/env) overrides the file's value."""
    data = _load_yaml(path)
    problems: list[str] = []
    top = _Reader(
        str(path),
        data,
        problems,
        frozenset(
            {
                "managed_collection",
                "collections",
                "groups",
                "metabase_models",
                "alerts",
                "channels",
                "subscriptions",
            }
        ),
    )
    managed = managed_collection or top.get("managed_collection", str)
    collections: dict[str, CollectionSpec] = {}
    for key, item in (top.get("collections", dict, {}) or {}).items():
        sub = top.child(f"collection {key}", item, {"name", "description"})
        if sub is not None and not _is_key(str(key)):
            collections[key] = CollectionSpec(
                key, sub.get("name", str), sub.get("description", str, "")
            )
        elif sub is not None:
            problems.append(f"{path}: collection key {key!r} must be a lowercase identifier")
    groups: dict[str, GroupSpec] = {}
    for key, item in (top.get("groups", dict, {}) or {}).items():
        sub = top.child(f"group {key}", item, {"name", "collections", "native_queries"})
        if sub is None:
            continue
        levels = sub.get("collections", dict, {}) or {}
        for target, level in levels.items():
            if level not in COLLECTION_LEVELS:
                problems.append(f"{sub.where}: collection {target!r} level must be read or write")
            elif target != "*" and target not in (data.get("collections") or {}):
                problems.append(f"{sub.where}: unknown collection key {target!r}")
        groups[key] = GroupSpec(
            key, sub.get("name", str), dict(levels), bool(sub.get("native_queries", bool, False))
        )
    channels: dict[str, ChannelSpec] = {}
    for key, item in (top.get("channels", dict, {}) or {}).items():
        sub = top.child(f"channel {key}", item, {"type", "recipients", "channel"})
        if sub is None:
            continue
        ctype = sub.get(
            "type", str, check=lambda v: None if v in CHANNEL_TYPES else "must be email or slack"
        )
        recipients = tuple(sub.get("recipients", list, []) or [])
        channel = sub.get("channel", str, None)
        if ctype == "email" and not recipients:
            problems.append(f"{sub.where}: an email channel needs 'recipients'")
        if ctype == "slack" and not channel:
            problems.append(f"{sub.where}: a slack channel needs 'channel'")
        channels[key] = ChannelSpec(key, ctype, recipients, channel)
    models = []
    for index, item in enumerate(top.get("metabase_models", list, []) or []):
        sub = top.child(
            f"metabase model #{index + 1}",
            item,
            {"key", "name", "description", "collection", "query"},
        )
        if sub is not None:
            models.append(
                ModelSpec(
                    sub.get("key", str, check=_is_key),
                    sub.get("name", str),
                    sub.get("description", str, ""),
                    sub.get("collection", str),
                    sub.get("query", str),
                )
            )
    alerts = []
    for index, item in enumerate(top.get("alerts", list, []) or []):
        sub = top.child(
            f"alert #{index + 1}",
            item,
            {
                "key",
                "name",
                "description",
                "collection",
                "query",
                "schedule",
                "send_once",
                "channels",
            },
        )
        if sub is not None:
            alerts.append(
                AlertSpec(
                    sub.get("key", str, check=_is_key),
                    sub.get("name", str),
                    sub.get("description", str, ""),
                    sub.get("collection", str),
                    sub.get("query", str),
                    sub.get("schedule", str),
                    bool(sub.get("send_once", bool, False)),
                    tuple(sub.get("channels", list) or ()),
                )
            )
    subscriptions = []
    for index, item in enumerate(top.get("subscriptions", list, []) or []):
        sub = top.child(
            f"subscription #{index + 1}", item, {"key", "name", "dashboard", "schedule", "channels"}
        )
        if sub is None:
            continue
        schedule = None
        raw = sub.get("schedule", dict)
        if raw is not None:
            ssub = sub.child("schedule", raw, {"type", "hour", "day"})
            stype = ssub.get(
                "type",
                str,
                check=lambda v: (
                    None if v in SCHEDULE_TYPES else f"must be one of {sorted(SCHEDULE_TYPES)}"
                ),
            )
            hour = ssub.get(
                "hour", int, None, check=lambda v: None if 0 <= v <= 23 else "must be 0..23"
            )
            day = ssub.get(
                "day",
                str,
                None,
                check=lambda v: None if v in WEEKDAYS else f"must be one of {WEEKDAYS}",
            )
            if stype == "weekly" and day is None:
                problems.append(f"{ssub.where}: a weekly schedule needs 'day'")
            schedule = ScheduleSpec(stype, hour, day)
        subscriptions.append(
            SubscriptionSpec(
                sub.get("key", str, check=_is_key),
                sub.get("name", str),
                sub.get("dashboard", str),
                schedule,
                tuple(sub.get("channels", list) or ()),
            )
        )
    for owner in [*alerts, *subscriptions]:
        for channel_key in owner.channels:
            if channel_key not in channels:
                problems.append(f"{path}: {owner.key}: unknown channel {channel_key!r}")
    for owner in [*models, *alerts]:
        if owner.collection and owner.collection not in collections:
            problems.append(f"{path}: {owner.key}: unknown collection {owner.collection!r}")
    keys = [m.key for m in models] + [a.key for a in alerts]
    for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"{path}: key {duplicate!r} is used more than once")
    if problems:
        raise SpecError(problems)
    return PublisherConfig(
        managed,
        collections,
        groups,
        tuple(models),
        tuple(alerts),
        channels,
        tuple(subscriptions),
        path,
    )
