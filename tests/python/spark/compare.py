"""Compare a relation on PostgreSQL with the same relation on Spark, row for row.

Both sides are read whole (the Spark tests' data set is small) with timestamps rendered as UTC
text, and compared as sorted multisets: exact for text, integers, dates, booleans and decimals;
floats equal up to 1e-9 relative (the engines' exp/ln differ in the last bits).
"""

from __future__ import annotations

import math
from decimal import Decimal

RELATIVE_TOLERANCE = 1e-9


def spark_columns(spark, relation: str) -> list[tuple[str, str]]:
    columns = []
    for name, data_type, *_ in spark.sql(f"describe table {relation}"):
        if not name or name.startswith("#"):
            break
        columns.append((name, data_type))
    return columns


def read_both(engines, relation: str, columns: list[tuple[str, str]] | None = None):
    columns = columns or spark_columns(engines.spark, relation)
    pg_select, spark_select = [], []
    for name, data_type in columns:
        if data_type.startswith("timestamp"):
            pg_select.append(f"to_char({name} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
            spark_select.append(f"date_format({name}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')")
        elif data_type == "date":
            pg_select.append(f"{name}::text")
            spark_select.append(f"cast({name} as string)")
        else:
            pg_select.append(name)
            spark_select.append(name)
    pg_rows = engines.pg(f"select {', '.join(pg_select)} from {relation}")
    spark_rows = engines.spark.sql(f"select {', '.join(spark_select)} from {relation}")
    return [name for name, _ in columns], pg_rows, spark_rows


def _normal(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sort_key(row):
    # Floats rounded for ordering only, so rows that differ in the last bits sort together.
    return tuple(
        (0, "") if v is None else (1, f"{v:.6e}" if isinstance(v, float) else str(v)) for v in row
    )


def _equal(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b)) or abs(a - b) < 1e-300
    return a == b


def differences(names, pg_rows, spark_rows, limit: int = 5) -> list[str]:
    """Human-readable differences between the two row sets (empty when equal)."""
    if len(pg_rows) != len(spark_rows):
        return [f"{len(pg_rows)} rows on PostgreSQL, {len(spark_rows)} on Spark"]
    pg_sorted = sorted((tuple(map(_normal, r)) for r in pg_rows), key=_sort_key)
    spark_sorted = sorted((tuple(map(_normal, r)) for r in spark_rows), key=_sort_key)
    found = []
    for pg_row, spark_row in zip(pg_sorted, spark_sorted, strict=True):
        for name, a, b in zip(names, pg_row, spark_row, strict=True):
            if not _equal(a, b):
                found.append(f"{name}: PostgreSQL {a!r}, Spark {b!r} (row {pg_row})")
                break
        if len(found) >= limit:
            break
    return found
