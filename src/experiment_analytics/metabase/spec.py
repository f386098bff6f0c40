"""The publisher's configuration format, declared once: `metabase/publisher.yml` and
`metabase/dashboards/*.yml` as pydantic models (unknown keys forbidden).

`parse_publisher` / `parse_dashboard` read a file (a key repeated in YAML is an error), validate
it against these models and the references between its parts, and raise one SpecError listing
every problem, each naming the file and the field (`alerts[2] (no_events).schedule: ...`), with
"did you mean" for near-miss names. Checks that need the dbt project or the warehouse live in
`validate.py`. The format is documented in metabase/README.md.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from experiment_analytics.metabase.errors import SpecError
from experiment_analytics.metabase.quartz import CronError, validate_quartz_cron
from experiment_analytics.metabase.strict_yaml import load_yaml_mapping

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
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Names of Metabase's built-in groups (All Users is "All internal users" with the tenants
# feature): a configured group must not take one of them.
BUILTIN_GROUP_NAMES = frozenset({"administrators", "admin", "all users", "all internal users"})
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Key = str


def _key(value: str) -> str:
    if not KEY_PATTERN.match(value):
        raise ValueError(f"{value!r} must be a lowercase identifier (a-z, 0-9, _)")
    return value


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if value != value.strip():
        raise ValueError(f"{value!r} has leading or trailing spaces (Metabase would keep them)")
    return value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- dashboards ------------------------------------------------------------------------------


class FieldRef(_Spec):
    model: str
    column: str


class Position(_Spec):
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    size_x: int = Field(ge=1)
    size_y: int = Field(ge=1)

    def overlaps(self, other: Position) -> bool:
        return (
            self.col < other.col + other.size_x
            and other.col < self.col + self.size_x
            and self.row < other.row + other.size_y
            and other.row < self.row + self.size_y
        )


class DashboardFilter(_Spec):
    id: str
    name: str
    type: str
    field: FieldRef | None = None
    default: Any = None

    check_id = field_validator("id")(_key)
    check_name = field_validator("name")(_name)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in PARAMETER_TYPES:
            raise ValueError(
                f"{value!r} is not a Metabase parameter type{did_you_mean(value, PARAMETER_TYPES)}"
            )
        return value


class CardFilter(_Spec):
    tag: str
    field: FieldRef

    check_tag = field_validator("tag")(_key)


class CardSpec(_Spec):
    key: str
    name: str
    description: str = ""
    display: str
    query: str
    columns: tuple[str, ...] = Field(min_length=1)
    visualization_settings: dict[str, Any] = Field(default_factory=dict)
    position: Position
    filters: dict[str, CardFilter] = Field(default_factory=dict)

    check_key = field_validator("key")(_key)
    check_name = field_validator("name")(_name)

    @field_validator("display")
    @classmethod
    def _display(cls, value: str) -> str:
        if value not in DISPLAYS:
            raise ValueError(
                f"{value!r} is not a supported display{did_you_mean(value, DISPLAYS)} "
                f"({', '.join(sorted(DISPLAYS))})"
            )
        return value


class DashboardSpec(_Spec):
    dashboard: str
    name: str
    description: str = ""
    collection: str
    width: Literal["fixed", "full"] = "fixed"
    filters: tuple[DashboardFilter, ...] = ()
    cards: tuple[CardSpec, ...] = ()
    _path: Path = PrivateAttr(default=Path("dashboard.yml"))

    check_dashboard = field_validator("dashboard")(_key)
    check_name = field_validator("name")(_name)

    @property
    def path(self) -> Path:
        return self._path

    def filter(self, filter_id: str) -> DashboardFilter | None:
        return next((item for item in self.filters if item.id == filter_id), None)


# -- publisher.yml ---------------------------------------------------------------------------


class CollectionSpec(_Spec):
    key: str
    name: str
    description: str = ""

    check_key = field_validator("key")(_key)
    check_name = field_validator("name")(_name)


class GroupSpec(_Spec):
    key: str
    name: str
    collections: dict[str, Literal["read", "write"]] = Field(default_factory=dict)
    native_queries: bool = False

    check_key = field_validator("key")(_key)
    check_name = field_validator("name")(_name)

    @field_validator("name")
    @classmethod
    def _not_builtin(cls, value: str) -> str:
        if value.strip().lower() in BUILTIN_GROUP_NAMES:
            raise ValueError(
                f"{value!r} is the name of a Metabase built-in group; choose another name "
                "(the publisher never manages Administrators or All Users as configured groups)"
            )
        return value


class ModelSpec(_Spec):
    key: str
    name: str
    description: str = ""
    collection: str
    query: str

    check_key = field_validator("key")(_key)
    check_name = field_validator("name")(_name)


class ChannelSpec(_Spec):
    key: str
    type: Literal["email", "slack"]
    recipients: tuple[str, ...] = ()
    channel: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> ChannelSpec:
        if self.type == "email" and (not self.recipients or self.channel is not None):
            raise ValueError("an email channel has 'recipients' (a list) and no 'channel'")
        if self.type == "slack" and (not self.channel or self.recipients):
            raise ValueError("a slack channel has 'channel' (\"#name\") and no 'recipients'")
        return self


class AlertSpec(_Spec):
    key: str
    name: str
    description: str = ""
    collection: str
    query: str
    schedule: str
    send_once: bool = False
    channels: tuple[str, ...] = Field(min_length=1)

    check_key = field_validator("key")(_key)
    check_name = field_validator("name")(_name)

    @field_validator("schedule")
    @classmethod
    def _quartz(cls, value: str) -> str:
        try:
            validate_quartz_cron(value)
        except CronError as exc:
            raise ValueError(f"{value!r} is not a Quartz cron expression: {exc}") from None
        return value


class ScheduleSpec(_Spec):
    type: Literal["hourly", "daily", "weekly", "monthly"]
    hour: int | None = Field(default=None, ge=0, le=23)
    day: Literal["sun", "mon", "tue", "wed", "thu", "fri", "sat"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> ScheduleSpec:
        if self.type != "hourly" and self.hour is None:
            raise ValueError(f"a {self.type} schedule needs 'hour' (0-23)")
        if self.type == "weekly" and self.day is None:
            raise ValueError("a weekly schedule needs 'day' (sun..sat)")
        if self.type in {"hourly", "daily"} and self.day is not None:
            raise ValueError(f"a {self.type} schedule has no 'day'")
        return self


class SubscriptionSpec(_Spec):
    key: str
    name: str
    # Why the audience gets this report. Kept in the code only: a Metabase dashboard
    # subscription has no description field.
    description: str = ""
    dashboard: str
    schedule: ScheduleSpec
    channels: tuple[str, ...] = Field(min_length=1)

    check_key = field_validator("key")(_key)
    check_name = field_validator("name")(_name)


class PublisherConfig(_Spec):
    managed_collection: str
    collections: dict[str, CollectionSpec] = Field(default_factory=dict)
    groups: dict[str, GroupSpec] = Field(default_factory=dict)
    metabase_models: tuple[ModelSpec, ...] = ()
    alerts: tuple[AlertSpec, ...] = ()
    channels: dict[str, ChannelSpec] = Field(default_factory=dict)
    subscriptions: tuple[SubscriptionSpec, ...] = ()
    _path: Path = PrivateAttr(default=Path("publisher.yml"))

    check_managed_collection = field_validator("managed_collection")(_name)

    @model_validator(mode="before")
    @classmethod
    def _keys_from_mapping(cls, data: Any) -> Any:
        """`collections`, `groups` and `channels` are mappings key -> item: the item takes its
        key from the mapping."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section in ("collections", "groups", "channels"):
            items = data.get(section)
            if isinstance(items, dict):
                data[section] = {
                    key: ({**item, "key": key} if isinstance(item, dict) else item)
                    for key, item in items.items()
                }
            elif items is None and section in data:
                data[section] = {}
        for section in ("metabase_models", "alerts", "subscriptions"):
            if section in data and data[section] is None:
                data[section] = ()
        return data

    @property
    def path(self) -> Path:
        return self._path

    def with_path(self, path: Path) -> PublisherConfig:
        copy = self.model_copy()
        copy._path = path
        return copy


# -- parsing and the checks between parts ----------------------------------------------------


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _labelled(data: Any, loc: tuple[Any, ...]) -> str:
    """`cards[2] (variant_comparison).position.size_y` for a pydantic error location."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                if isinstance(node, dict) and isinstance(node.get("key") or node.get("id"), str):
                    label += f" ({node.get('key') or node.get('id')})"
            parts.append(label)
            continue
        parts.append(f".{step}" if parts else str(step))
        node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> set[str]:
    """The field names of the model at `loc` (for "did you mean" on an unknown key)."""
    current: type[BaseModel] | None = model
    for step in loc[:-1]:
        field = current.model_fields.get(step) if current and isinstance(step, str) else None
        if field is not None:  # else a list index or a mapping key: same model
            current = _nested_model(field.annotation)
    return set(current.model_fields) - {"key"} if current else set()


def _problems(where: str, model: type[BaseModel], data: Any, error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        label = _labelled(data, loc)
        kind = item["type"]
        message = str(item["msg"]).removeprefix("Value error, ")
        if kind == "missing":
            text = f"{label}: missing required key {loc[-1]!r}"
        elif kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            text = f"{label}: unknown key {loc[-1]!r}{did_you_mean(str(loc[-1]), allowed)}" + (
                f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
            )
        else:
            text = f"{label}: {message}" if label else message
        problems.append(f"{where}: {text}")
    return problems


def parse_dashboard(path: Path) -> DashboardSpec:
    """Parse one dashboard spec; raise SpecError listing every structural problem."""
    data = load_yaml_mapping(path)
    where = f"{path} (dashboard {data.get('dashboard', path.stem)})"
    try:
        spec = DashboardSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_problems(where, DashboardSpec, data, exc)) from None
    spec._path = path
    problems = []
    for label, values in (
        ("filter id", [f.id for f in spec.filters]),
        ("card key", [c.key for c in spec.cards]),
        ("card name", [c.name for c in spec.cards]),
    ):
        for value, count in Counter(values).items():
            if count > 1:
                problems.append(f"{where}: {label} {value!r} is used {count} times")
    filter_ids = {f.id for f in spec.filters}
    for card in spec.cards:
        for filter_id in card.filters:
            if filter_id not in filter_ids:
                problems.append(
                    f"{where}, card {card.key}: filters.{filter_id}: not a filter of the "
                    f"dashboard{did_you_mean(filter_id, filter_ids)}"
                )
    if problems:
        raise SpecError(problems)
    return spec


def parse_publisher(path: Path, *, managed_collection: str | None = None) -> PublisherConfig:
    """Parse publisher.yml and check the references inside it; `managed_collection` (flag/env)
    overrides the file's value."""
    data = load_yaml_mapping(path)
    if managed_collection:
        data = {**data, "managed_collection": managed_collection}
    try:
        config = PublisherConfig.model_validate(data).with_path(path)
    except ValidationError as exc:
        raise SpecError(_problems(str(path), PublisherConfig, data, exc)) from None
    problems = check_references(config)
    if problems:
        raise SpecError(problems)
    return config


def check_references(config: PublisherConfig) -> list[str]:
    """Unknown collection/channel keys, duplicate keys and names inside publisher.yml."""
    path = config.path
    problems: list[str] = []
    collections, channels = set(config.collections), set(config.channels)
    for key, group in config.groups.items():
        for target in group.collections:
            if target != "*" and target not in collections:
                problems.append(
                    f"{path}: groups.{key}.collections: unknown collection {target!r}"
                    f"{did_you_mean(target, collections)} (known: {', '.join(sorted(collections))}"
                    ", or '*' for all)"
                )
    for section, owners in (
        ("metabase_models", config.metabase_models),
        ("alerts", config.alerts),
    ):
        for index, owner in enumerate(owners):
            if owner.collection not in collections:
                problems.append(
                    f"{path}: {section}[{index}] ({owner.key}).collection: unknown collection "
                    f"{owner.collection!r}{did_you_mean(owner.collection, collections)}"
                )
    for section, owners in (("alerts", config.alerts), ("subscriptions", config.subscriptions)):
        for index, owner in enumerate(owners):
            for channel in owner.channels:
                if channel not in channels:
                    problems.append(
                        f"{path}: {section}[{index}] ({owner.key}).channels: unknown channel "
                        f"{channel!r}{did_you_mean(channel, channels)}"
                    )
            for channel, count in Counter(owner.channels).items():
                if count > 1:
                    problems.append(
                        f"{path}: {section}[{index}] ({owner.key}).channels: {channel!r} is "
                        "listed twice"
                    )
    duplicates = [
        ("metabase model / alert key", [m.key for m in (*config.metabase_models, *config.alerts)]),
        ("subscription key", [s.key for s in config.subscriptions]),
        ("subscription name", [s.name for s in config.subscriptions]),
        ("collection name", [c.name for c in config.collections.values()]),
        ("group name", [g.name.lower() for g in config.groups.values()]),
    ]
    for label, values in duplicates:
        for value, count in Counter(values).items():
            if count > 1:
                problems.append(f"{path}: {label} {value!r} is used {count} times")
    if config.managed_collection in {c.name for c in config.collections.values()}:
        problems.append(
            f"{path}: managed_collection {config.managed_collection!r} is also the name of one "
            "of its collections"
        )
    return problems


def expand_env(value: str, environ: dict[str, str] | None = None) -> str:
    """Expand `${NAME}` and `${NAME:-default}` (shell style) in a configuration value; an unset
    variable without a default raises KeyError(name)."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = env.get(name)
        if found:
            return found
        if default is not None:
            return default
        raise KeyError(name)

    return _ENV_PATTERN.sub(replace, value)
