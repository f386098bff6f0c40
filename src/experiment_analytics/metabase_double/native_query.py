"""Running a compiled native query on the real PostgreSQL, answered in Metabase's result shape.

The substitution of filter values (template tags, optional clauses, field filters) is the
project's one implementation in `experiment_analytics.native_query`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg2

from experiment_analytics.metabase_double.catalogue import base_type, humanize
from experiment_analytics.native_query import CompiledQuery
from experiment_analytics.warehouse import ConnectionSettings

MAX_ROWS = 2000


_TYPE_NAMES: dict[int, str] = {}


def _type_names(conn, oids: list[int]) -> dict[int, str]:
    missing = [o for o in oids if o not in _TYPE_NAMES]
    if missing:
        with conn.cursor() as cur:
            cur.execute("select oid, typname from pg_type where oid = any(%s)", (missing,))
            _TYPE_NAMES.update(dict(cur.fetchall()))
    return {o: _TYPE_NAMES.get(o, "unknown") for o in oids}


def _json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


def run(
    settings: ConnectionSettings,
    compiled: CompiledQuery,
    *,
    database_id: int,
    json_query: dict[str, Any],
    context: str,
    max_rows: int = MAX_ROWS,
) -> dict[str, Any]:
    """Run a compiled query; a failure comes back as a `status: failed` result (HTTP 202)."""
    base, clock = started(database_id, json_query, context)
    try:
        conn = psycopg2.connect(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password=settings.password,
            dbname=settings.dbname,
            connect_timeout=10,
            application_name="metabase_double",
        )
    except psycopg2.Error as exc:
        return failed(str(exc).strip(), base)
    try:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cur:
            cur.execute("set statement_timeout = '60s'")
            native_sql = cur.mogrify(compiled.sql, compiled.params).decode()
            cur.execute(compiled.sql, compiled.params)
            description = cur.description or []
            rows = cur.fetchmany(max_rows) if description else []
        names = _type_names(conn, [d.type_code for d in description])
    except psycopg2.Error as exc:
        return failed(str(exc).strip(), {**base, "native": compiled.sql})
    finally:
        conn.close()
    columns = [(column.name, names[column.type_code]) for column in description]
    return completed(
        base,
        columns,
        rows,
        type_of=base_type,
        native_form={"query": native_sql, "params": None},
        clock=clock,
        max_rows=max_rows,
    )


def started(
    database_id: int, json_query: dict[str, Any], context: str
) -> tuple[dict[str, Any], float]:
    """The fields every answer of a native query starts with, and the clock of its run."""
    base = {
        "database_id": database_id,
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "json_query": json_query,
        "context": context,
    }
    return base, time.perf_counter()


def completed(
    base: dict[str, Any],
    columns: list[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    *,
    type_of: Callable[[str], str],
    native_form: dict[str, Any],
    clock: float,
    max_rows: int,
) -> dict[str, Any]:
    """A completed native query in Metabase's dataset shape, for any engine: `columns` are
    (name, database type) pairs, `type_of` maps the engine's type names to Metabase's base
    types, `native_form` is the query as the engine ran it, `clock` when the run started
    (time.perf_counter)."""
    cols = []
    for name, database_type in columns:
        metabase_type = type_of(database_type)
        cols.append(
            {
                "name": name,
                "display_name": humanize(name),
                "base_type": metabase_type,
                "effective_type": metabase_type,
                "database_type": database_type,
                "source": "native",
                "field_ref": ["field", name, {"base-type": metabase_type}],
            }
        )
    data_rows = [[_json_value(value) for value in row] for row in rows]
    return {
        **base,
        "status": "completed",
        "row_count": len(data_rows),
        "running_time": int((time.perf_counter() - clock) * 1000),
        "data": {
            "rows": data_rows,
            "cols": cols,
            "native_form": native_form,
            "results_timezone": "UTC",
            "results_metadata": {"columns": cols},
            "rows_truncated": max_rows if len(data_rows) == max_rows else None,
            "insights": None,
        },
    }


def failed(message: str, base: dict[str, Any]) -> dict[str, Any]:
    return {
        **base,
        "status": "failed",
        "error": message,
        "error_type": "invalid-query",
        "row_count": 0,
        "running_time": 0,
        "data": {"rows": [], "cols": []},
    }
