"""The Spark statements that create the exp source tables and load the exported files into them.

The tables are those of warehouse/exp_source_contract_spark.sql (the one place their Spark DDL
lives). Each table is loaded from its CSV folder by one `insert` that Spark's executors run
(a temporary view over the files, every value cast to the contract's type); the table is
truncated first, as `demo generate --replace` does on PostgreSQL. exp.events' partition column
`occurred_date` is the UTC day of occurred_at (the session time zone is UTC).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

_TABLE = re.compile(r"create table if not exists exp\.(\w+) \((.*?)\n\) using", re.S)
_COLUMN = re.compile(r"^\s*(\w+) (.+?),?$")
COMPUTED = {"occurred_date": "to_date(cast(occurred_at as timestamp))"}


def contract_sql() -> str:
    return (
        resources.files("experiment_analytics.warehouse")
        .joinpath("exp_source_contract_spark.sql")
        .read_text()
    )


def _statements(sql: str) -> list[str]:
    without_comments = "\n".join(line.split("--")[0].rstrip() for line in sql.splitlines())
    return [part.strip() for part in without_comments.split(";") if part.strip()]


def spark_source_tables() -> dict[str, list[tuple[str, str]]]:
    """Each Spark source table's (column, type) pairs, in order, from the Spark contract."""
    tables = {}
    for name, body in _TABLE.findall(contract_sql()):
        columns = []
        for line in body.strip().splitlines():
            match = _COLUMN.match(line)
            if match:
                columns.append((match.group(1), match.group(2).strip()))
        tables[name] = columns
    return tables


def load_statements(files_dir: Path, tables: list[str]) -> list[str]:
    """The Spark SQL that creates every contract table and loads `tables` from `files_dir`."""
    statements = _statements(contract_sql())
    contract = spark_source_tables()
    for table in tables:
        columns = contract[table]
        select_list = ",\n    ".join(
            f"{COMPUTED[name]} as {name}"
            if name in COMPUTED
            else f"cast(nullif({name}, '') as {data_type}) as {name}"
            for name, data_type in columns
        )
        view = f"exp_demo_files_{table}"
        path = (files_dir / table).resolve().as_posix()
        statements += [
            f"create or replace temporary view {view} using csv"
            f" options (path '{path}', header 'true', mode 'FAILFAST', inferSchema 'false')",
            f"truncate table exp.{table}",
            f"insert into exp.{table}\nselect\n    {select_list}\nfrom {view}",
        ]
    return statements
