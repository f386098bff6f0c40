"""Fixtures of the demo data tests: small generated data sets in databases of their own."""

from __future__ import annotations

import pytest
from demo_data_params import END_AT, EVENTS, SEED

from experiment_analytics.demo_data import generate
from experiment_analytics.warehouse import ConnectionSettings, connect


class Sql:
    """Run queries on one database (UTC session) and return all rows."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._conn = connect(settings)
        with self._conn.cursor() as cur:
            cur.execute("set timezone = 'UTC'")

    def __call__(self, query: str, params=None) -> list[tuple]:
        with self._conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    def scalar(self, query: str, params=None):
        return self(query, params)[0][0]

    def close(self) -> None:
        self._conn.close()


@pytest.fixture(scope="session")
def demo_data(new_database) -> Sql:
    """The main data set: EVENTS events, seed SEED, ending at END_AT."""
    settings = new_database("demo")
    generate(settings, events=EVENTS, seed=SEED, end_at=END_AT)
    sql = Sql(settings)
    yield sql
    sql.close()


@pytest.fixture(scope="session")
def make_demo(new_database):
    """Factory: a new database loaded with generate(**kwargs); returns a Sql on it."""
    opened: list[Sql] = []

    def make(**kwargs) -> Sql:
        settings = new_database("demo")
        generate(settings, **kwargs)
        sql = Sql(settings)
        opened.append(sql)
        return sql

    yield make
    for sql in opened:
        sql.close()
