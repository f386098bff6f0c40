"""Steps 1-3: the Metabase version, the warehouse database (schema sync, model metadata through
dbt-metabase) and dropdown values of the filter fields."""

from __future__ import annotations

import logging
import os
import time

from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.metabase.client import parse_version
from experiment_analytics.metabase.errors import PublisherError, UnsupportedVersionError
from experiment_analytics.metabase.publishers.base import Step
from experiment_analytics.metabase.spec import FieldRef
from experiment_analytics.warehouse.roles import write_privileges

_logger = logging.getLogger(__name__)

SUPPORTED = ((0, 54), (0, 61))
# The Metabase engines that read what a dbt adapter builds (the first is the one
# --add-database creates): dbt-spark's tables through the Spark SQL (Thrift) driver or Databricks.
ENGINES_OF_ADAPTER = {"postgres": ("postgres",), "spark": ("sparksql", "databricks")}


def _sparksql_body(name: str) -> dict:
    """A `sparksql` database (Metabase's Spark SQL driver: a Spark Thrift server) from the
    SPARK_THRIFT_* environment variables. Databricks (engine `databricks`: host, http-path and
    a token) is added in Metabase's admin; the publisher then uses it by name."""
    env = os.environ.get
    return {
        "name": name,
        "engine": "sparksql",
        "is_full_sync": True,
        "details": {
            "host": env("SPARK_THRIFT_HOST", "localhost"),
            "port": int(env("SPARK_THRIFT_PORT", "10000")),
            "dbname": env("SPARK_THRIFT_DATABASE", "default"),
            "user": env("SPARK_THRIFT_USER") or None,
            "password": env("SPARK_THRIFT_PASSWORD") or None,
            "jdbc-flags": env("SPARK_THRIFT_JDBC_FLAGS", ""),
        },
    }


class VersionStep(Step):
    title = "Metabase version"

    def publish(self) -> None:
        properties = self.api.session_properties()
        version = properties.get("version") or {}
        tag = version.get("tag") if isinstance(version, dict) else str(version)
        try:
            _, minor, _ = parse_version(tag)
        except ValueError as exc:
            raise UnsupportedVersionError(str(exc)) from None
        self.summary.metabase_version = tag
        low, high = SUPPORTED
        if not low <= (0, minor) <= high:
            raise UnsupportedVersionError(
                f"Metabase {tag} is not supported: this publisher supports 0.{low[1]} through "
                f"0.{high[1]} (the notifications API appeared in 0.54; later releases are not "
                "tested yet)"
            )
        self.ctx.minor_version = minor
        _logger.info("Metabase %s at %s", tag, self.api.url)


class DatabaseStep(Step):
    title = "database, schema sync and model metadata"

    def publish(self) -> None:
        self.find_database()
        self.sync_schema()
        self.push_model_metadata()
        self.field_values()

    def find_database(self) -> None:
        settings = self.ctx.settings
        name = settings.database_name
        found = [
            db
            for db in self.api.list_databases()
            if str(db.get("name", "")).lower() == name.lower()
        ]
        adapter = self.ctx.specs.project.adapter_type
        engines = ENGINES_OF_ADAPTER.get(adapter)
        if engines is None:
            raise PublisherError(
                f"the card SQL was compiled for a dbt target of adapter {adapter!r}; the "
                f"publisher knows the Metabase engines of {', '.join(ENGINES_OF_ADAPTER)} only"
            )
        if found:
            engine = found[0].get("engine")
            if engine not in engines:
                raise PublisherError(
                    f"Metabase's database {found[0].get('name')!r} is of engine {engine!r}, but "
                    f"the card SQL was compiled for a dbt target of adapter {adapter!r}, which "
                    f"Metabase reads as engine {' or '.join(engines)}: set METABASE_DATABASE "
                    "(--metabase-database) to a database of that engine, or compile for the "
                    f"target that matches {engine!r} (--target, env DBT_TARGET)"
                )
            self.ctx.database_id = found[0]["id"]
            self.summary.record("database", name, "unchanged")
            if engine == "postgres":
                self._warn_if_writer(found[0])
            return
        if not settings.add_database:
            raise PublisherError(
                f"Metabase has no database named {name!r}: add it in Metabase's admin (engine "
                f"{' or '.join(engines)}), set METABASE_DATABASE to its name, or pass "
                "--add-database to add it from the connection settings (PG* for postgres, "
                "SPARK_THRIFT_* for sparksql)"
            )
        if engines[0] == "postgres":
            body = self._postgres_body(name)
            where = settings.warehouse.describe()
        else:
            body = _sparksql_body(name)
            details = body["details"]
            where = f"sparksql at {details['host']}:{details['port']}"
        self.summary.record("database", name, "created", where)
        if self.ctx.plan:
            self.ctx.database_id = self.ctx.placeholder()
            return
        created = self.create(
            "database",
            name,
            lambda: self.api.create_database(body, what=f"add database {name!r}"),
            lambda: next((db for db in self.api.list_databases() if db.get("name") == name), None),
        )
        self.ctx.database_id = created["id"]

    def _postgres_body(self, name: str) -> dict:
        wh = self.ctx.settings.warehouse
        return {
            "name": name,
            "engine": "postgres",
            "is_full_sync": True,
            "details": {
                "host": wh.host,
                "port": wh.port,
                "dbname": wh.dbname,
                "user": wh.user,
                "password": wh.password or None,
                "ssl": False,
            },
        }

    def _warn_if_writer(self, database: dict) -> None:
        """Metabase should connect as a read-only role (README "Roles"): say so when not."""
        user = (database.get("details") or {}).get("user")
        if not user:
            return
        try:
            rights = write_privileges(self.ctx.settings.warehouse, str(user))
        except ExperimentAnalyticsError as exc:
            _logger.debug("could not check the rights of %s: %s", user, exc)
            return
        if rights:
            message = (
                f"warning: Metabase's database {database.get('name')!r} connects as {user!r}, "
                f"which {', '.join(rights)}: anyone with native-query rights in Metabase can "
                'change the warehouse. Connect it as the read-only role (README "Roles").'
            )
            _logger.warning(message)
            self.summary.notes.append(message)

    def _read_fields(self) -> None:
        metadata = self.api.database_metadata(self.ctx.database_id)
        self.ctx.fields = {
            (table.get("schema"), table.get("name"), fld.get("name")): fld
            for table in metadata.get("tables") or []
            for fld in table.get("fields") or []
        }

    def _relations(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """The relations dbt builds or reads that the warehouse has (a model not built there,
        e.g. one not ported to the target's engine yet, is not waited for)."""
        present = self.ctx.specs.relations_in_warehouse
        relations = self.ctx.specs.project.relations
        if present is None:
            return relations
        return {key: columns for key, columns in relations.items() if key in present}

    def _missing(self) -> list[str]:
        return [
            f"{schema}.{table}.{column}"
            for (schema, table), columns in self._relations().items()
            for column in sorted(columns)
            if (schema, table, column) not in self.ctx.fields
        ]

    def sync_schema(self) -> None:
        settings = self.ctx.settings
        if self.ctx.database_id < 0:
            return
        self._read_fields()
        missing = self._missing()
        if not missing:
            self.summary.record("schema sync", settings.database_name, "unchanged")
            return
        self.summary.record(
            "schema sync",
            settings.database_name,
            "updated",
            f"{len(missing)} field(s) not yet in Metabase",
        )
        if self.ctx.plan:
            return
        self.api.sync_schema(self.ctx.database_id)
        deadline = time.monotonic() + settings.sync_timeout
        total = sum(len(c) for c in self._relations().values())
        while missing:
            if time.monotonic() > deadline:
                raise PublisherError(
                    f"Metabase did not finish syncing {settings.database_name!r} within "
                    f"{settings.sync_timeout:.0f}s; still missing: {', '.join(missing[:10])}"
                )
            _logger.info("waiting for schema sync: %d/%d fields ready", total - len(missing), total)
            time.sleep(settings.sync_poll_seconds)
            self._read_fields()
            missing = self._missing()
        _logger.info("schema sync done: %d/%d fields ready", total, total)

    def push_model_metadata(self) -> None:
        settings = self.ctx.settings
        if not settings.push_model_metadata:
            return
        if self.ctx.plan:
            self.summary.notes.append("model and column metadata (dbt-metabase) is not planned")
            return
        from experiment_analytics.metabase.model_metadata import export_model_metadata

        line = export_model_metadata(
            self.api.client,
            self.ctx.specs.project.manifest_path,
            settings.database_name,
            api_key=settings.api_key,
            verbose=settings.verbose,
            relations_in_warehouse=self.ctx.specs.relations_in_warehouse,
        )
        _logger.info("model metadata (dbt-metabase): %s", line)
        self.summary.notes.append(f"model metadata (dbt-metabase): {line}")
        self._read_fields()

    def field(self, ref: FieldRef):
        info = self.ctx.specs.project.models[ref.model]
        return self.ctx.fields.get((info.schema, info.alias, ref.column))

    def field_values(self) -> None:
        """Dropdown values for text filters: the filter's field lists its values."""
        refs: set[FieldRef] = set()
        for spec in self.ctx.specs.dashboards:
            for item in spec.filters:
                if item.field and item.type.split("/")[0] in {"string", "category"}:
                    refs.add(item.field)
        for ref in sorted(refs, key=lambda r: (r.model, r.column)):
            found = self.field(ref)
            key = f"{ref.model}.{ref.column}"
            old = None if found is None else found.get("has_field_values")
            if old == "list":
                self.summary.record("field values", key, "unchanged")
                continue
            self.summary.record(
                "field values", key, "updated", fields={"has_field_values": (old, "list")}
            )
            if not self.ctx.plan and found is not None:
                self.api.update_field(
                    found["id"], {"has_field_values": "list"}, what=f"field {key}"
                )


def field_id(ctx, ref: FieldRef) -> int:
    """The Metabase id of a dbt model's column (a placeholder when planning before a sync)."""
    info = ctx.specs.project.models[ref.model]
    found = ctx.fields.get((info.schema, info.alias, ref.column))
    if found is None:
        if ctx.plan:
            return ctx.placeholder()
        raise PublisherError(f"Metabase has no field {ref.model}.{ref.column} after sync")
    return found["id"]
