"""Read a real PostgreSQL catalogue the way Metabase's sync does: tables and views of the
non-system schemas, their columns with types, primary/foreign keys and comments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from experiment_analytics.warehouse import ConnectionSettings, connect

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

_BASE_TYPES = {
    "int2": "type/Integer",
    "int4": "type/Integer",
    "int8": "type/BigInteger",
    "numeric": "type/Decimal",
    "float4": "type/Float",
    "float8": "type/Float",
    "money": "type/Decimal",
    "text": "type/Text",
    "varchar": "type/Text",
    "bpchar": "type/Text",
    "name": "type/Text",
    "bool": "type/Boolean",
    "date": "type/Date",
    "timestamp": "type/DateTime",
    "timestamptz": "type/DateTimeWithLocalTZ",
    "time": "type/Time",
    "timetz": "type/TimeWithLocalTZ",
    "uuid": "type/UUID",
    "json": "type/SerializedJSON",
    "jsonb": "type/SerializedJSON",
    "interval": "type/*",
}


def base_type(database_type: str) -> str:
    if database_type.startswith("_"):
        return "type/Array"
    return _BASE_TYPES.get(database_type, "type/*")


def humanize(name: str) -> str:
    """Metabase's default display name: `variant_id` -> `Variant ID`."""
    words = [w for w in re.split(r"[_\s]+", name) if w]
    return " ".join("ID" if w.lower() == "id" else w[:1].upper() + w[1:] for w in words) or name


@dataclass
class CatalogueColumn:
    name: str
    database_type: str
    position: int
    comment: str | None
    is_nullable: bool
    is_pk: bool = False
    fk_target: tuple[str, str, str] | None = None  # (schema, table, column)
    # Metabase's type; empty: from the PostgreSQL type name (base_type)
    metabase_type: str = ""

    @property
    def base_type(self) -> str:
        return self.metabase_type or base_type(self.database_type)


@dataclass
class CatalogueTable:
    schema: str
    name: str
    comment: str | None
    is_view: bool
    columns: list[CatalogueColumn] = field(default_factory=list)


_TABLES_SQL = """
select n.nspname, c.relname, obj_description(c.oid, 'pg_class'), c.relkind in ('v', 'm')
from pg_class as c
inner join pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'f')
  and n.nspname not in %(system)s
  and n.nspname not like 'pg_temp%%'
  and n.nspname not like 'pg_toast%%'
  and not c.relispartition
order by 1, 2
"""

_COLUMNS_SQL = """
select n.nspname, c.relname, a.attname, t.typname, a.attnum,
       col_description(c.oid, a.attnum), not a.attnotnull
from pg_attribute as a
inner join pg_class as c on c.oid = a.attrelid
inner join pg_namespace as n on n.oid = c.relnamespace
inner join pg_type as t on t.oid = a.atttypid
where a.attnum > 0 and not a.attisdropped
  and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and n.nspname not in %(system)s
order by 1, 2, 5
"""

_KEYS_SQL = """
select n.nspname, c.relname, a.attname, con.contype,
       fn.nspname, fc.relname, fa.attname
from pg_constraint as con
inner join pg_class as c on c.oid = con.conrelid
inner join pg_namespace as n on n.oid = c.relnamespace
inner join pg_attribute as a on a.attrelid = c.oid and a.attnum = con.conkey[1]
left join pg_class as fc on fc.oid = con.confrelid
left join pg_namespace as fn on fn.oid = fc.relnamespace
left join pg_attribute as fa on fa.attrelid = fc.oid and fa.attnum = con.confkey[1]
where con.contype in ('p', 'f') and cardinality(con.conkey) = 1
  and n.nspname not in %(system)s
"""


def read_catalogue(settings: ConnectionSettings) -> list[CatalogueTable]:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            params = {"system": _SYSTEM_SCHEMAS}
            cur.execute(_TABLES_SQL, params)
            tables = {
                (schema, name): CatalogueTable(schema, name, comment, is_view)
                for schema, name, comment, is_view in cur.fetchall()
            }
            cur.execute(_COLUMNS_SQL, params)
            for schema, table, column, typname, attnum, comment, nullable in cur.fetchall():
                if (schema, table) in tables:
                    tables[(schema, table)].columns.append(
                        CatalogueColumn(column, typname, attnum, comment, nullable)
                    )
            cur.execute(_KEYS_SQL, params)
            for schema, table, column, kind, f_schema, f_table, f_column in cur.fetchall():
                target = tables.get((schema, table))
                if target is None:
                    continue
                for col in target.columns:
                    if col.name == column:
                        if kind == "p":
                            col.is_pk = True
                        elif f_table is not None:
                            col.fk_target = (f_schema, f_table, f_column)
    finally:
        conn.close()
    for table in tables.values():
        for index, col in enumerate(table.columns):
            col.position = index
    return list(tables.values())
