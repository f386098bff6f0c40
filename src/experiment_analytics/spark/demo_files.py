"""The demo data set as files Spark reads: one CSV file per source table, per UTC day for events.

The demo generator draws its rows in PostgreSQL (demo_data/events.py: every value a function of
seed, row and stream), so the data set on Spark is the same rows by construction: they are
exported from the generated `exp` schema, streamed from PostgreSQL to files (never held in
memory), and Spark's executors read the files (nothing passes through Spark's driver).
Timestamps are written as UTC ISO 8601 with microseconds; booleans as true/false; nulls empty.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from experiment_analytics.warehouse import ConnectionSettings, connect
from experiment_analytics.warehouse.source_contract import SOURCE_TABLES

_logger = logging.getLogger(__name__)


def _select_list(cur, table: str) -> list[str]:
    cur.execute(
        """
        select column_name, data_type
        from information_schema.columns
        where table_schema = 'exp' and table_name = %s
        order by ordinal_position
        """,
        (table,),
    )
    columns = []
    for name, data_type in cur.fetchall():
        if data_type == "timestamp with time zone":
            columns.append(
                f"""to_char({name} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as {name}"""
            )
        else:
            columns.append(name)
    return columns


def export_source_files(settings: ConnectionSettings, files_dir: Path) -> dict[str, int]:
    """Write every exp source table of `settings` under `files_dir/<table>/`; return row counts.

    `files_dir` is replaced (it holds only this export). Events go one file per UTC day of
    occurred_at, so Spark reads them in parallel.
    """
    if files_dir.exists():
        shutil.rmtree(files_dir)
    counts: dict[str, int] = {}
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            for table in SOURCE_TABLES:
                columns = _select_list(cur, table)
                if not columns:
                    _logger.info("exp.%s absent in PostgreSQL: not exported", table)
                    continue
                folder = files_dir / table
                folder.mkdir(parents=True)
                if table == "events":
                    cur.execute(
                        "select distinct (occurred_at at time zone 'UTC')::date::text"
                        " from exp.events order by 1"
                    )
                    days = [row[0] for row in cur.fetchall()]
                    parts = [
                        (
                            folder / f"{day}.csv",
                            f"where (occurred_at at time zone 'UTC')::date = '{day}'",
                        )
                        for day in days
                    ]
                else:
                    parts = [(folder / f"{table}.csv", "")]
                total = 0
                for path, where in parts:
                    query = f"select {', '.join(columns)} from exp.{table} {where}"
                    with path.open("w", encoding="utf-8") as out:
                        cur.copy_expert(f"copy ({query}) to stdout with (format csv, header)", out)
                    total += cur.rowcount
                counts[table] = total
                _logger.info("exported exp.%s: %s rows in %d file(s)", table, total, len(parts))
    finally:
        conn.close()
    return counts
