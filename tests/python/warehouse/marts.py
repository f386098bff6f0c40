"""Reading and comparing the relations of a built warehouse (shared by the warehouse tests)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from experiment_analytics.warehouse import ConnectionSettings, connect


def incremental_relations(target: Path) -> dict[str, str]:
    """Every incremental model of the manifest in `target`: name -> quoted relation."""
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        node["name"]: f'"{node["schema"]}"."{node["alias"]}"'
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }


def _sort_key(row: tuple) -> tuple:
    # Floats are left out of the order: the same sum in another order may differ in its last bits.
    return tuple(repr(value) for value in row if not isinstance(value, float))


def snapshot(settings: ConnectionSettings, relations: dict[str, str]) -> dict[str, list]:
    """All rows of each relation, in a canonical order."""
    conn = connect(settings)
    rows = {}
    with conn.cursor() as cur:
        for name, relation in relations.items():
            cur.execute(f"select * from {relation}")
            rows[name] = sorted(cur.fetchall(), key=_sort_key)
    conn.close()
    return rows


def same_rows(left: list[tuple], right: list[tuple]) -> bool:
    """The same rows, floats equal to a relative 1e-9."""

    def same(a, b) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return a == b

    return len(left) == len(right) and all(
        len(x) == len(y) and all(same(a, b) for a, b in zip(x, y, strict=True))
        for x, y in zip(left, right, strict=True)
    )


def differences(left: dict[str, list], right: dict[str, list]) -> list[str]:
    """The relations whose rows differ between two snapshots, with their row counts."""
    return [
        f"{name}: {len(left[name])} rows vs {len(right.get(name, []))}"
        for name in left
        if not same_rows(left[name], right.get(name, []))
    ]
