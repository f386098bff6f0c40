"""YAML loading for the publisher's configuration: a key given twice in one mapping is an error.

PyYAML keeps the last of two equal keys silently; in `publisher.yml` that once turned a group's
`{overview: read}` into `{"*": write}` without a word. Every duplicate in a file is reported,
with its line, before anything else is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from experiment_analytics.metabase.errors import SpecError


class _StrictLoader(yaml.SafeLoader):
    duplicates: list[str]


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key; PyYAML reports it below
            continue
        if first is not None:
            loader.duplicates.append(f"line {line}: key {key!r} repeats line {first}")
        else:
            seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """The file's top-level mapping; SpecError (naming the file) when it is missing, not YAML,
    not a mapping, or repeats a key anywhere."""
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise SpecError([f"{path}: file not found"]) from exc
    loader = _StrictLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise SpecError([f"{path}: not valid YAML: {exc}"]) from exc
    finally:
        loader.dispose()
    if loader.duplicates:
        raise SpecError(
            [
                f"{path}: {duplicate} (YAML keeps only the last one; remove one)"
                for duplicate in loader.duplicates
            ]
        )
    if not isinstance(data, dict):
        raise SpecError([f"{path}: must hold a YAML mapping"])
    return data
