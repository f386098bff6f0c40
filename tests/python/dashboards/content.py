"""Helpers of the dashboard-content tests: the specs, the analyses' SQL, compiled SQL, queries."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR, run_dbt
from experiment_analytics.metabase.spec import (
    DashboardSpec,
    PublisherConfig,
    parse_dashboard,
    parse_publisher,
)
from experiment_analytics.warehouse import ConnectionSettings, connect

METABASE_DIR = PROJECT_DIR / "metabase"
DASHBOARD_DIR = METABASE_DIR / "dashboards"
ANALYSES_DIR = PROJECT_DIR / "analyses"
# Card queries written by other helpers (the statistics helper's significance table).
FOREIGN_CARD_QUERIES = frozenset({"statistical_significance"})
# Metabase optional clause: `[[ ... ]]` (no nesting in Metabase's grammar).
OPTIONAL_CLAUSE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
TEMPLATE_TAG = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")


def dashboard_specs() -> list[DashboardSpec]:
    return [parse_dashboard(path) for path in sorted(DASHBOARD_DIR.glob("*.yml"))]


def publisher_config() -> PublisherConfig:
    return parse_publisher(METABASE_DIR / "publisher.yml")


def all_cards() -> list[tuple[str, str]]:
    """(dashboard, card key) of every card, for parametrizing."""
    return [(spec.dashboard, card.key) for spec in dashboard_specs() for card in spec.cards]


def card_by_key(dashboard: str, key: str):
    spec = next(spec for spec in dashboard_specs() if spec.dashboard == dashboard)
    return spec, next(card for card in spec.cards if card.key == key)


def analysis_file(name: str) -> Path:
    """The SQL file of an analysis (dbt names analyses by file name)."""
    matches = sorted(ANALYSES_DIR.rglob(f"{name}.sql"))
    if len(matches) != 1:
        raise LookupError(f"expected one analyses/**/{name}.sql, found {matches}")
    return matches[0]


def without_optional_clauses(sql: str) -> str:
    """What Metabase runs when no filter value is set: every optional clause dropped."""
    return OPTIONAL_CLAUSE.sub("", sql)


@dataclass(frozen=True)
class CompiledProject:
    """Compiled analyses and model relations from one `dbt compile`."""

    sql: dict[str, str]  # analysis name -> compiled SQL
    relations: dict[str, str]  # model name -> "schema"."alias"
    depends_on: dict[str, tuple[str, ...]]  # analysis name -> model names
    exposures: dict[str, tuple[str, ...]]  # exposure name -> model names it depends on

    def with_filters(self, sql: str, values: dict[str, tuple[str, str, str]]) -> str:
        """Fill optional clauses the way Metabase expands field filters.

        `values` maps a tag to (model, column, condition template) where the template holds
        `{column}`; the column is qualified by the model's schema and table, as Metabase does.
        Clauses whose tags get no value are dropped.
        """

        def fill(match: re.Match[str]) -> str:
            clause = match.group(1)
            tags = TEMPLATE_TAG.findall(clause)
            if not tags or any(tag not in values for tag in tags):
                return ""
            for tag in tags:
                model, column, condition = values[tag]
                qualified = f'{self.relations[model]}."{column}"'
                clause = re.sub(
                    r"\{\{\s*" + tag + r"\s*\}\}", condition.format(column=qualified), clause
                )
            return clause

        return OPTIONAL_CLAUSE.sub(fill, sql)


def compile_project(
    settings: ConnectionSettings, target_path: Path, select: str = "resource_type:analysis"
) -> CompiledProject:
    run_dbt(
        ["compile", "--select", select, "--quiet"],
        settings,
        target_path=target_path,
    )
    return read_compiled_project(target_path)


def read_compiled_project(target_path: Path) -> CompiledProject:
    """The compiled analyses, relations and exposures of the manifest in target_path."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    nodes = manifest["nodes"]
    relations = {
        node["name"]: f'"{node["schema"]}"."{node.get("alias") or node["name"]}"'
        for node in nodes.values()
        if node["resource_type"] in {"model", "seed"}
    }
    sql: dict[str, str] = {}
    depends_on: dict[str, tuple[str, ...]] = {}
    for node in nodes.values():
        if node["resource_type"] == "analysis" and "compiled_code" in node:
            sql[node["name"]] = node["compiled_code"]
            depends_on[node["name"]] = tuple(
                nodes[uid]["name"] for uid in node["depends_on"]["nodes"] if uid in nodes
            )
    exposures = {
        exposure["name"]: tuple(
            nodes[uid]["name"] for uid in exposure["depends_on"]["nodes"] if uid in nodes
        )
        for exposure in manifest["exposures"].values()
    }
    return CompiledProject(sql, relations, depends_on, exposures)


class Warehouse:
    """A database connection with small helpers; autocommit."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.conn = connect(settings)

    def rows(self, sql: str, params=None) -> list[dict]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            if cur.description is None:
                return []
            names = [column.name for column in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def columns(self, sql: str) -> list[str]:
        with self.conn.cursor() as cur:
            cur.execute(f"select * from (\n{sql}\n) as card limit 0")
            return [column.name for column in cur.description]

    def execute(self, sql: str, params=None) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
