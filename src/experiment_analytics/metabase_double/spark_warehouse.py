"""A Metabase database of engine `sparksql` or `databricks` in the stand-in.

Decision (metabase/README.md "Spark"): the stand-in accepts such a database with the details the
real drivers take (sparksql: host, port, dbname, user, password, jdbc-flags; databricks: host,
http-path, token or an OAuth client), but it cannot speak their protocols (Thrift / Databricks
SQL): it reads the project's local Spark instead, the session dbt-spark's `session` method
builds over $EXPERIMENT_ANALYTICS_SPARK_DIR (`experiment_analytics.spark.session`), started
after dbt has finished (the catalogue admits one process at a time) or shared with dbt in one
process (the tests). Sync reads Spark's catalogue (every database but `default`: tables, views,
columns and their comments; Spark keeps no keys), native queries run as Spark SQL with the
filter values bound as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from experiment_analytics.metabase_double.catalogue import CatalogueColumn, CatalogueTable
from experiment_analytics.metabase_double.native_query import (
    MAX_ROWS,
    completed,
    failed,
    started,
)
from experiment_analytics.native_query import CompiledQuery

ENGINES = ("sparksql", "databricks")
# What each driver needs in `details` to connect (the real drivers' connection properties).
REQUIRED_DETAILS = {
    "sparksql": (("host",),),
    "databricks": (("host",), ("http-path",), ("token", "client-id")),
}
_SPARK_TYPES = {
    "string": "type/Text",
    "tinyint": "type/Integer",
    "smallint": "type/Integer",
    "int": "type/Integer",
    "bigint": "type/BigInteger",
    "float": "type/Float",
    "double": "type/Float",
    "boolean": "type/Boolean",
    "date": "type/Date",
    "timestamp": "type/DateTime",
    "timestamp_ntz": "type/DateTime",
    "binary": "type/*",
}


def spark_base_type(database_type: str) -> str:
    name = database_type.lower()
    if name.startswith("decimal"):
        return "type/Decimal"
    if name.startswith("array"):
        return "type/Array"
    if name.startswith(("struct", "map")):
        return "type/Dictionary"
    return _SPARK_TYPES.get(name, "type/*")


@dataclass(frozen=True)
class SparkWarehouse:
    """Where a sparksql/databricks database's queries run: the local Spark session."""

    engine: str

    def describe(self) -> str:
        return f"{self.engine} (the local Spark session)"


def missing_details(engine: str, details: dict[str, Any]) -> list[str]:
    """The connection properties the engine's driver needs that `details` lacks."""
    return [
        " or ".join(names)
        for names in REQUIRED_DETAILS[engine]
        if not any(details.get(name) not in (None, "") for name in names)
    ]


def _session() -> Any:
    from experiment_analytics.spark.session import local_spark_session

    return local_spark_session()


def check_connection(warehouse: SparkWarehouse) -> None:
    """Raise (the message is Metabase's connection error) when the local Spark cannot start."""
    _session().sql("show databases").collect()


def read_spark_catalogue(warehouse: SparkWarehouse) -> list[CatalogueTable]:
    session = _session()
    tables = []
    for database in session.catalog.listDatabases():
        if database.name == "default":
            continue
        for table in session.catalog.listTables(database.name):
            if table.isTemporary:
                continue
            entry = CatalogueTable(
                database.name, table.name, table.description, table.tableType == "VIEW"
            )
            columns = session.catalog.listColumns(f"{database.name}.{table.name}")
            for position, column in enumerate(columns):
                entry.columns.append(
                    CatalogueColumn(
                        column.name,
                        column.dataType,
                        position,
                        column.description,
                        column.nullable,
                        metabase_type=spark_base_type(column.dataType),
                    )
                )
            tables.append(entry)
    return tables


def run_spark(
    warehouse: SparkWarehouse,
    compiled: CompiledQuery,
    *,
    database_id: int,
    json_query: dict[str, Any],
    context: str,
    max_rows: int = MAX_ROWS,
) -> dict[str, Any]:
    """Run a compiled native query on Spark; a failure is a `status: failed` result."""
    base, clock = started(database_id, json_query, context)
    sql = compiled.positional_sql()
    try:
        frame = _session().sql(sql, args=list(compiled.params) or None)
        rows = frame.limit(max_rows).collect()
    except Exception as exc:  # Spark's analysis and runtime errors
        return failed(str(exc).strip().splitlines()[0], {**base, "native": sql})
    columns = [(field.name, field.dataType.simpleString()) for field in frame.schema.fields]
    return completed(
        base,
        columns,
        rows,
        type_of=spark_base_type,
        native_form={"query": sql, "params": compiled.params or None},
        clock=clock,
        max_rows=max_rows,
    )
