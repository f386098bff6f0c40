"""Request-body checks with Metabase's messages (one function per kind of schema)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from experiment_analytics.metabase_double.errors import invalid

NANOID = re.compile(r"^[A-Za-z0-9_\-]{21}$")


def require_object(body: Any, what: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid(what, "value must be a map.")
    return body


def str1(body: Mapping[str, Any], key: str, *, required: bool = False, nullable: bool = True):
    """A non-blank string; `""` is rejected, as Metabase's `ms/NonBlankString`."""
    if key not in body or (body[key] is None and not required):
        if required:
            raise invalid(key, "value must be a non-blank string.")
        return None
    value = body[key]
    if value is None and nullable and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(key, "value must be a non-blank string.")
    return value


def string(body: Mapping[str, Any], key: str):
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid(key, "value must be a string.")
    return value


def boolean(body: Mapping[str, Any], key: str, default: bool | None = None):
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(key, "value must be a boolean.")
    return value


def integer(
    body: Mapping[str, Any],
    key: str,
    *,
    required: bool = False,
    minimum: int | None = 1,
    maximum: int | None = None,
):
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(key, "value must be an integer greater than zero.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(key, "value must be an integer.")
    if minimum is not None and value < minimum:
        raise invalid(key, f"value must be an integer greater than or equal to {minimum}.")
    if maximum is not None and value > maximum:
        raise invalid(key, f"value must be an integer less than or equal to {maximum}.")
    return value


def enum(body: Mapping[str, Any], key: str, allowed: Iterable[str], *, required: bool = False):
    allowed = list(allowed)
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(key, f"value must be one of: {', '.join(allowed)}.")
        return None
    if value not in allowed:
        raise invalid(key, f"value must be one of: {', '.join(allowed)}.")
    return value


def mapping(body: Mapping[str, Any], key: str, *, required: bool = False):
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(key, "value must be a map.")
        return None
    if not isinstance(value, dict):
        raise invalid(key, "value must be a map.")
    return value


def array(body: Mapping[str, Any], key: str, *, required: bool = False, non_empty: bool = False):
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(key, "value must be an array.")
        return None
    if not isinstance(value, list):
        raise invalid(key, "value must be an array.")
    if non_empty and not value:
        raise invalid(key, "value must be a non-empty array.")
    return value


def collection_ref(body: Mapping[str, Any], key: str, *, allow_nanoid: bool):
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if allow_nanoid and isinstance(value, str) and NANOID.match(value):
        return value
    raise invalid(key, "value must be an integer greater than zero.")


PARAMETER_TYPES = (
    "number",
    "text",
    "date",
    "boolean",
    "date/single",
    "id",
    "category",
    "location/city",
    "location/state",
    "location/zip_code",
    "location/country",
    "date/range",
    "date/month-year",
    "date/quarter-year",
    "date/relative",
    "date/all-options",
    "temporal-unit",
    "number/!=",
    "number/<=",
    "number/=",
    "number/>=",
    "number/between",
    "string/!=",
    "string/=",
    "string/contains",
    "string/does-not-contain",
    "string/ends-with",
    "string/starts-with",
    "boolean/=",
)


def parameters(body: Mapping[str, Any], key: str = "parameters") -> list | None:
    """Dashboard/card `parameters`: each needs a non-blank `id` and a known `type`."""
    value = array(body, key)
    if value is None:
        return None
    for index, parameter in enumerate(value):
        if not isinstance(parameter, dict):
            raise invalid(f"{key}[{index}]", "value must be a map.")
        if not isinstance(parameter.get("id"), str) or not parameter["id"].strip():
            raise invalid(f"{key}[{index}].id", "value must be a non-blank string.")
        if parameter.get("type", "text") not in PARAMETER_TYPES:
            raise invalid(f"{key}[{index}].type", "value must be a valid parameter type.")
    return value


def parameter_mappings(body: Mapping[str, Any], key: str = "parameter_mappings") -> list | None:
    value = array(body, key)
    if value is None:
        return None
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid(f"{key}[{index}]", "value must be a map.")
        pid = item.get("parameter_id")
        if not isinstance(pid, str) or not pid.strip():
            raise invalid(f"{key}[{index}].parameter_id", "value must be a non-blank string.")
        if "target" not in item or item["target"] is None:
            raise invalid(f"{key}[{index}].target", "value must be a parameter target.")
    return value
