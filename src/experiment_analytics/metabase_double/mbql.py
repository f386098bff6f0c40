"""Legacy (MBQL 4) <-> MBQL 5 conversion of `dataset_query`, for what cards carry.

Cards are stored in the legacy shape; since Metabase 0.57 reads return MBQL 5
(`{"lib/type": "mbql/query", "stages": [...]}`) unless `?legacy-mbql=true`. Clause options get
`lib/uuid`s derived from the card id and the clause position, so two reads of the same card are
byte-identical (clients diff what they read against what they want).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from experiment_analytics.metabase_double.errors import invalid

_NAMESPACE = uuid.UUID("6f1d3c1e-8e0a-4c47-9d7e-3f3b0f6a0d11")
_STAGE_KEYS = {
    "filter": "filters",
    "source-table": "source-table",
    "aggregation": "aggregation",
    "breakout": "breakout",
    "fields": "fields",
    "expressions": "expressions",
    "order-by": "order-by",
    "limit": "limit",
    "page": "page",
    "joins": "joins",
}


def is_mbql5(query: Any) -> bool:
    return isinstance(query, dict) and query.get("lib/type") == "mbql/query"


def validate(query: Any, key: str = "dataset_query") -> None:
    """Reject what Metabase's query schema rejects (for the shapes cards use)."""
    if not isinstance(query, dict):
        raise invalid(key, "value must be a map.")
    if not query:
        return
    if is_mbql5(query):
        stages = query.get("stages")
        if not isinstance(stages, list) or not stages:
            raise invalid(key, "stages: value must be a non-empty sequence.")
        for stage in stages:
            if not isinstance(stage, dict) or stage.get("lib/type") not in (
                "mbql.stage/native",
                "mbql.stage/mbql",
            ):
                raise invalid(key, "each stage needs lib/type mbql.stage/native|mbql.stage/mbql.")
            if stage["lib/type"] == "mbql.stage/native" and not isinstance(
                stage.get("native"), str
            ):
                raise invalid(key, "a native stage needs its SQL as a string in `native`.")
        return
    qtype = query.get("type")
    if qtype not in ("native", "query"):
        raise invalid(key, "type: value must be one of: native, query.")
    if qtype == "native":
        native = query.get("native")
        if not isinstance(native, dict) or not isinstance(native.get("query"), str):
            raise invalid(key, "native.query: value must be a string.")
        tags = native.get("template-tags", {}) or {}
        if not isinstance(tags, dict):
            raise invalid(key, "native.template-tags: value must be a map.")
        for name, tag in tags.items():
            _validate_tag(key, name, tag)
    elif not isinstance(query.get("query"), dict):
        raise invalid(key, "query: value must be a map.")


def _validate_tag(key: str, name: str, tag: Any) -> None:
    where = f"{key}.native.template-tags.{name}"
    if not isinstance(tag, dict):
        raise invalid(where, "value must be a map.")
    ttype = tag.get("type")
    allowed = ("snippet", "card", "dimension", "number", "text", "date", "boolean", "temporal-unit")
    if ttype not in allowed:
        raise invalid(where, f"type: value must be one of: {', '.join(allowed)}.")
    for required in ("name", "display-name"):
        if not isinstance(tag.get(required), str) or not tag[required]:
            raise invalid(where, f"{required}: value must be a non-blank string.")
    if ttype in ("dimension", "temporal-unit") and not isinstance(tag.get("dimension"), list):
        raise invalid(where, "dimension: value must be a field reference.")


def to_legacy(query: dict[str, Any]) -> dict[str, Any]:
    """Normalise any accepted input to the stored (legacy) form."""
    if not is_mbql5(query):
        return copy.deepcopy(query)
    stage = query["stages"][0]
    legacy: dict[str, Any] = {"database": query.get("database")}
    for extra in ("parameters", "settings", "constraints", "info", "middleware"):
        if extra in query:
            legacy[extra] = copy.deepcopy(query[extra])
    if stage["lib/type"] == "mbql.stage/native":
        native: dict[str, Any] = {"query": stage["native"]}
        tags = stage.get("template-tags")
        if tags:
            native["template-tags"] = {
                name: _tag_to_legacy(tag) for name, tag in copy.deepcopy(tags).items()
            }
        legacy.update(type="native", native=native)
        return legacy
    inner: dict[str, Any] = {}
    reverse = {v: k for k, v in _STAGE_KEYS.items()}
    for key, value in stage.items():
        if key == "lib/type":
            continue
        if key == "source-card":
            inner["source-table"] = f"card__{value}"
        else:
            inner[reverse.get(key, key)] = _clause_to_legacy(copy.deepcopy(value))
    if isinstance(inner.get("filter"), list) and len(inner["filter"]) > 1:
        inner["filter"] = ["and", *inner["filter"]]
    elif isinstance(inner.get("filter"), list) and inner["filter"]:
        inner["filter"] = inner["filter"][0]
    legacy.update(type="query", query=inner)
    return legacy


def to_mbql5(legacy: dict[str, Any], seed: str) -> dict[str, Any]:
    """The MBQL 5 form Metabase >= 0.57 returns for a stored legacy query."""
    if not legacy:
        return {}
    counter = iter(range(1_000_000))

    def new_uuid() -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{seed}:{next(counter)}"))

    result: dict[str, Any] = {"lib/type": "mbql/query", "database": legacy.get("database")}
    for extra in ("parameters", "settings", "constraints", "info", "middleware"):
        if extra in legacy:
            result[extra] = copy.deepcopy(legacy[extra])
    if legacy.get("type") == "native":
        native = legacy.get("native", {})
        stage: dict[str, Any] = {"lib/type": "mbql.stage/native", "native": native.get("query")}
        tags = native.get("template-tags")
        if tags:
            stage["template-tags"] = {
                name: _tag_to_mbql5(tag, new_uuid) for name, tag in copy.deepcopy(tags).items()
            }
        result["stages"] = [stage]
        return result
    inner = legacy.get("query", {})
    stage = {"lib/type": "mbql.stage/mbql"}
    for key, value in inner.items():
        if key == "source-table" and isinstance(value, str) and value.startswith("card__"):
            stage["source-card"] = int(value.removeprefix("card__"))
        elif key == "filter":
            filters = value[1:] if value and value[0] == "and" else [value]
            stage["filters"] = [_clause_to_mbql5(f, new_uuid) for f in filters]
        else:
            stage[_STAGE_KEYS.get(key, key)] = _clause_to_mbql5(copy.deepcopy(value), new_uuid)
    result["stages"] = [stage]
    return result


def _tag_to_mbql5(tag: dict[str, Any], new_uuid) -> dict[str, Any]:
    if isinstance(tag.get("dimension"), list):
        tag["dimension"] = _clause_to_mbql5(tag["dimension"], new_uuid)
    return tag


def _tag_to_legacy(tag: dict[str, Any]) -> dict[str, Any]:
    if isinstance(tag.get("dimension"), list):
        tag["dimension"] = _clause_to_legacy(tag["dimension"])
    return tag


def _is_clause(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], str)


def _clause_to_mbql5(value: Any, new_uuid) -> Any:
    """["field", 12, {opts}|null] -> ["field", {"lib/uuid": .., **opts}, 12]; recursively."""
    if _is_clause(value):
        op, *args = value
        options: dict[str, Any] = {}
        if op == "field" and len(args) == 2:
            options = dict(args[1] or {})
            args = args[:1]
        elif args and isinstance(args[-1], dict) and op not in ("value",):
            options = dict(args[-1])
            args = args[:-1]
        options = {"lib/uuid": new_uuid(), **options}
        return [op, options, *(_clause_to_mbql5(a, new_uuid) for a in args)]
    if isinstance(value, list):
        return [_clause_to_mbql5(v, new_uuid) for v in value]
    if isinstance(value, dict):
        return {k: _clause_to_mbql5(v, new_uuid) for k, v in value.items()}
    return value


def _clause_to_legacy(value: Any) -> Any:
    if _is_clause(value) and len(value) >= 2 and isinstance(value[1], dict):
        op, options, *args = value
        options = {k: v for k, v in options.items() if k != "lib/uuid"}
        converted = [_clause_to_legacy(a) for a in args]
        if op == "field":
            return ["field", *converted, options or None]
        return [op, *converted, *([options] if options else [])]
    if isinstance(value, list):
        return [_clause_to_legacy(v) for v in value]
    if isinstance(value, dict):
        return {k: _clause_to_legacy(v) for k, v in value.items()}
    return value


def native_parts(legacy: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(sql, template-tags) of a stored native query, or None for an MBQL query."""
    if legacy.get("type") != "native":
        return None
    native = legacy.get("native", {})
    return native.get("query", ""), dict(native.get("template-tags") or {})


def field_id_of(dimension: Any) -> int | None:
    """The field id in a legacy or MBQL 5 field reference."""
    if not _is_clause(dimension) or dimension[0] != "field":
        return None
    for part in dimension[1:]:
        if isinstance(part, int) and not isinstance(part, bool):
            return part
    return None
