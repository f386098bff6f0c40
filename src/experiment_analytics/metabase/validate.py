"""Validate the whole configuration before anything is written to Metabase.

Checks the specs against the dbt project (models, analyses, exposures) and the warehouse: every
card query runs (Metabase's optional clauses removed, wrapped to return no rows) and returns
exactly the columns its visualization uses (`columns` in the spec): a missing column breaks the
chart, an undeclared one shows up in tables and tooltips unreviewed, so both are errors.
Every problem names its file, dashboard and card;
all problems are reported together in one SpecError.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import psycopg2

from experiment_analytics.metabase.errors import SpecError
from experiment_analytics.metabase.project import ProjectInfo
from experiment_analytics.metabase.recipients import ResolvedChannel, resolve_channels
from experiment_analytics.metabase.spec import (
    GRID_COLUMNS,
    DashboardSpec,
    FieldRef,
    PublisherConfig,
    did_you_mean,
    parse_dashboard,
)
from experiment_analytics.warehouse.connection import ConnectionSettings, connect

_logger = logging.getLogger(__name__)

TAG_PATTERN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_CLAUSE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
# Visualization settings whose values name result columns.
_COLUMN_SETTINGS = (
    "graph.dimensions",
    "graph.metrics",
    "scalar.field",
    "pie.dimension",
    "pie.metric",
    "scatter.bubble",
    "table.columns",
)
STATEMENT_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Specs:
    """Everything the publisher publishes, parsed and validated."""

    config: PublisherConfig
    dashboards: tuple[DashboardSpec, ...]
    project: ProjectInfo
    # channel key -> recipients with ${VAR} resolved and checked (emails, Slack channels)
    channels: dict[str, ResolvedChannel]
    # Not errors: a query returning columns beyond its visualization's `columns`.
    warnings: tuple[str, ...] = ()
    # the project's relations (schema, table) the warehouse has: what Metabase's sync can find
    relations_in_warehouse: frozenset[tuple[str, str]] | None = None


def template_tags(sql: str) -> list[str]:
    return list(dict.fromkeys(TAG_PATTERN.findall(sql)))


def executable_sql(sql: str) -> str:
    """The SQL with Metabase's optional clauses removed; raises ValueError on a bare tag."""
    stripped = OPTIONAL_CLAUSE.sub(" ", sql)
    bare = template_tags(stripped)
    if bare:
        raise ValueError(
            f"template tag(s) {', '.join(bare)} outside an optional clause [[ ... ]]: "
            "write [[and {{ metabase_filter('<tag>') }}]]"
        )
    return stripped


class _Warehouse:
    def __init__(self, settings: ConnectionSettings):
        self.conn = connect(settings)
        with self.conn.cursor() as cur:
            cur.execute(f"set statement_timeout = {STATEMENT_TIMEOUT_MS}")
        self._columns: dict[tuple[str, str], tuple[str, ...]] = {}

    def exists(self, schema: str, table: str) -> bool:
        return bool(self.columns(schema, table))

    def columns(self, schema: str, table: str) -> tuple[str, ...]:
        if (schema, table) not in self._columns:
            with self.conn.cursor() as cur:
                cur.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = %s and table_name = %s order by ordinal_position",
                    (schema, table),
                )
                self._columns[(schema, table)] = tuple(row[0] for row in cur.fetchall())
        return self._columns[(schema, table)]

    def result_columns(self, sql: str) -> list[str]:
        try:
            with self.conn.cursor() as cur:
                cur.execute(f"select * from (\n{sql}\n) as publisher_validation limit 0")
                return [column.name for column in cur.description]
        except psycopg2.Error as exc:
            raise QueryFailed(str(exc).strip().splitlines()[0]) from exc

    def close(self) -> None:
        self.conn.close()


class _SparkWarehouse:
    """The same checks on the local Spark (a dbt target of adapter spark): its session
    (`experiment_analytics.spark.session`) reads the tables dbt built."""

    def __init__(self) -> None:
        from experiment_analytics.spark.session import local_spark_session

        self.session = local_spark_session()

        self._tables: dict[str, set[str]] = {}

    def exists(self, schema: str, table: str) -> bool:
        if schema not in self._tables:
            known = {d.name for d in self.session.catalog.listDatabases()}
            self._tables[schema] = (
                {t.name for t in self.session.catalog.listTables(schema)}
                if schema in known
                else set()
            )
        return table in self._tables[schema]

    def columns(self, schema: str, table: str) -> tuple[str, ...]:
        if not self.exists(schema, table):
            return ()
        return tuple(c.name for c in self.session.catalog.listColumns(f"{schema}.{table}"))

    def result_columns(self, sql: str) -> list[str]:
        try:
            frame = self.session.sql(f"select * from (\n{sql}\n) as publisher_validation limit 0")
            return list(frame.columns)
        except Exception as exc:  # Spark's parse and analysis errors
            raise QueryFailed(str(exc).strip().splitlines()[0]) from exc

    def close(self) -> None:
        """The session stays: it is the process's (dbt's, the stand-in's)."""


class QueryFailed(Exception):
    """A card query does not run on the warehouse; the message is the engine's."""


def _warehouse_of(project: ProjectInfo, settings: ConnectionSettings):
    """The warehouse the cards were compiled for: its dbt adapter decides."""
    if project.adapter_type == "spark":
        return _SparkWarehouse()
    return _Warehouse(settings)


def load_specs(
    config: PublisherConfig, project: ProjectInfo, settings: ConnectionSettings
) -> Specs:
    """Parse every dashboard spec the exposures name and validate everything; raise SpecError."""
    problems: list[str] = []
    warnings: list[str] = []
    dashboards: list[DashboardSpec] = []
    for exposure in sorted(project.dashboards.values(), key=lambda e: e.name):
        where = f"{exposure.original_file_path} (exposure {exposure.name})"
        if exposure.spec_path is None:
            problems.append(f"{where}: meta.metabase.spec does not name a dashboard spec file")
            continue
        try:
            spec = parse_dashboard(exposure.spec_path)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if spec.dashboard != exposure.name:
            problems.append(
                f"{spec.path} (dashboard {spec.dashboard}): 'dashboard' must be the exposure "
                f"name {exposure.name!r}"
            )
        dashboards.append(spec)
    warehouse = _warehouse_of(project, settings)
    try:
        for spec in dashboards:
            problems.extend(_check_dashboard(spec, config, project, warehouse, warnings))
        problems.extend(_check_publisher(config, project, warehouse))
        # On PostgreSQL every relation is waited for (its sync sees them all); elsewhere only
        # those built there (a model not ported to the engine yet is not waited for).
        in_warehouse = (
            None
            if project.adapter_type == "postgres"
            else frozenset(r for r in project.relations if warehouse.exists(*r))
        )
    finally:
        warehouse.close()
    problems.extend(_check_names(config, dashboards))
    channels, channel_problems = resolve_channels(config)
    problems.extend(channel_problems)
    if problems:
        raise SpecError(problems)
    for warning in warnings:
        _logger.warning("%s", warning)
    return Specs(config, tuple(dashboards), project, channels, tuple(warnings), in_warehouse)


def _check_names(config: PublisherConfig, dashboards: list[DashboardSpec]) -> list[str]:
    """Names are the identity of managed objects inside the managed tree (metabase/README.md,
    "Identity"): dashboards and cards (questions, models, alert questions) must be unique."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for spec in dashboards:
        where = f"{spec.path} (dashboard {spec.dashboard})"
        if spec.name in seen:
            problems.append(
                f"{where}: name {spec.name!r} is also the name of {seen[spec.name]}; dashboard "
                "names must be unique (a name is how the publisher finds a dashboard again)"
            )
        seen.setdefault(spec.name, f"dashboard {spec.dashboard} ({spec.path})")
    cards: dict[str, str] = {}
    owners = [(f"{config.path} (metabase model {m.key})", m.name) for m in config.metabase_models]
    owners += [
        (f"{spec.path} (dashboard {spec.dashboard}), card {card.key}", card.name)
        for spec in dashboards
        for card in spec.cards
    ]
    owners += [(f"{config.path} (alert {a.key})", a.name) for a in config.alerts]
    for where, name in owners:
        if name in cards:
            problems.append(
                f"{where}: card name {name!r} is also used by {cards[name]}; card, model and "
                "alert names must be unique in the managed collections"
            )
        cards.setdefault(name, where)
    return problems


def _check_field(ref: FieldRef, project: ProjectInfo, warehouse: _Warehouse) -> str | None:
    model = project.models.get(ref.model)
    if model is None:
        return f"unknown model {ref.model!r}{did_you_mean(ref.model, project.models)}"
    columns = warehouse.columns(model.schema, model.alias)
    if not columns:
        return f"model {ref.model!r} is not built in the warehouse ({model.schema}.{model.alias})"
    if ref.column not in columns:
        return (
            f"unknown column {ref.column!r} of model {ref.model!r}"
            f"{did_you_mean(ref.column, columns)}"
        )
    return None


def _check_query(
    where: str, query: str, project: ProjectInfo, warehouse: _Warehouse
) -> tuple[list[str], list[str] | None, str | None]:
    """Run one analysis; return (problems, result columns, compiled sql)."""
    analysis = project.analyses.get(query)
    if analysis is None:
        return (
            [
                f"{where}: unknown query {query!r}{did_you_mean(query, project.analyses)} "
                "(no analysis of that name under analyses/)"
            ],
            None,
            None,
        )
    try:
        sql = executable_sql(analysis.compiled_sql)
    except ValueError as exc:
        return [f"{where}: query {query!r} ({analysis.path}): {exc}"], None, analysis.compiled_sql
    try:
        columns = warehouse.result_columns(sql)
    except QueryFailed as exc:
        message = str(exc)
        return (
            [f"{where}: query {query!r} ({analysis.path}) fails: {message}"],
            None,
            analysis.compiled_sql,
        )
    return [], columns, analysis.compiled_sql


def _check_dashboard(
    spec: DashboardSpec,
    config: PublisherConfig,
    project: ProjectInfo,
    warehouse: _Warehouse,
    warnings: list[str],
) -> list[str]:
    base = f"{spec.path} (dashboard {spec.dashboard})"
    problems: list[str] = []
    if spec.collection not in config.collections:
        problems.append(
            f"{base}: collection: unknown collection {spec.collection!r}"
            f"{did_you_mean(spec.collection, config.collections)}"
        )
    for item in spec.filters:
        if item.field is not None:
            message = _check_field(item.field, project, warehouse)
            if message:
                problems.append(f"{base}, filter {item.id}: {message}")
    for index, card in enumerate(spec.cards):
        where = f"{base}, card {card.key}"
        pos = card.position
        if pos.row < 0 or pos.col < 0 or pos.size_x < 1 or pos.size_y < 1:
            problems.append(f"{where}: position needs row, col >= 0 and size_x, size_y >= 1")
        elif pos.col + pos.size_x > GRID_COLUMNS:
            problems.append(
                f"{where}: col {pos.col} + size_x {pos.size_x} exceeds the "
                f"{GRID_COLUMNS}-column grid"
            )
        for other in spec.cards[index + 1 :]:
            if pos.overlaps(other.position):
                problems.append(f"{where}: overlaps card {other.key}")
        query_problems, columns, sql = _check_query(where, card.query, project, warehouse)
        problems.extend(query_problems)
        if columns is not None:
            missing = [c for c in card.columns if c not in columns]
            extra = [c for c in columns if c not in card.columns]
            if missing or extra:
                problems.append(
                    f"{where}: query {card.query!r} returns {columns}, but the visualization uses "
                    f"{list(card.columns)} (missing: {missing}, not declared: {extra})"
                )
        for setting in _COLUMN_SETTINGS:
            value = card.visualization_settings.get(setting)
            named = value if isinstance(value, list) else [value] if value else []
            unknown = [c for c in named if isinstance(c, str) and c not in card.columns]
            if unknown:
                problems.append(
                    f"{where}: visualization setting {setting} names {unknown}, "
                    "which are not in 'columns'"
                )
        tags = template_tags(sql or "")
        analysis = project.analyses.get(card.query)
        mapped_tags = {mapping.tag for mapping in card.filters.values()}
        for filter_id, mapping in card.filters.items():
            if sql is not None and mapping.tag not in tags:
                problems.append(
                    f"{where}: filter {filter_id!r} is mapped to tag {mapping.tag!r}, but the "
                    f"card's query {card.query!r} lacks it (add [[and "
                    f"{{{{ metabase_filter('{mapping.tag}') }}}}]])"
                )
            message = _check_field(mapping.field, project, warehouse)
            if message:
                problems.append(f"{where}, filter {filter_id}: {message}")
            elif analysis is not None and mapping.field.model not in analysis.models:
                problems.append(
                    f"{where}, filter {filter_id}: the query does not ref() model "
                    f"{mapping.field.model!r}"
                )
        for tag in tags:
            if tag not in mapped_tags:
                problems.append(f"{where}: the query's tag {tag!r} is not mapped by any filter")
    return problems


def _check_publisher(
    config: PublisherConfig, project: ProjectInfo, warehouse: _Warehouse
) -> list[str]:
    problems: list[str] = []
    for owner in [*config.metabase_models, *config.alerts]:
        where = f"{config.path} ({owner.key})"
        query_problems, _, sql = _check_query(where, owner.query, project, warehouse)
        problems.extend(query_problems)
        if sql and template_tags(sql):
            problems.append(f"{where}: query {owner.query!r} must not use template tags")
    for subscription in config.subscriptions:
        if subscription.dashboard not in project.dashboards:
            hint = did_you_mean(subscription.dashboard, project.dashboards)
            problems.append(
                f"{config.path} (subscription {subscription.key}): dashboard: unknown dashboard "
                f"{subscription.dashboard!r}{hint} (not a dbt exposure of type dashboard)"
            )
    return problems
