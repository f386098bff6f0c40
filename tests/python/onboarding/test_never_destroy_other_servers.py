"""Never destroy data that is not ours: with PGHOST/PGPORT pointing at a PostgreSQL this project
did not start, loading demo data, `roles create` and `make demo` refuse, and nothing there
changes; `--allow-other-server` is the documented way through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from experiment_analytics.warehouse import ConnectionSettings, connect, embedded
from experiment_analytics.warehouse.connection import DEFAULT_PORT

from .conftest import CLI, clean_env, holding_port, run


@pytest.fixture
def other_server(pg_server, tmp_path: Path) -> Iterator[ConnectionSettings]:
    """Somebody's PostgreSQL: same binaries, started without this project's marker, trust auth,
    with an exp.events table holding three rows."""
    pgdata = tmp_path / "other" / "data"
    embedded._initialise(pgdata)
    port = 55524 if embedded.port_is_free(55524) else embedded.free_port()
    started = embedded._pg_ctl(
        ["-w", "-l", str(pgdata / "log"), "-o", f"-h 127.0.0.1 -p {port} -k {pgdata}", "start"],
        pgdata,
    )
    assert started.returncode == 0, started.stdout
    settings = ConnectionSettings(port=port, user="postgres", dbname="postgres")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute("create schema exp")
        cur.execute("create table exp.events (event_id int primary key, note text)")
        cur.execute("insert into exp.events values (1, 'theirs'), (2, 'theirs'), (3, 'theirs')")
    conn.close()
    yield settings
    embedded._pg_ctl(["-w", "-m", "fast", "stop"], pgdata)


def snapshot(settings: ConnectionSettings) -> tuple:
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute("select nspname from pg_namespace order by 1")
        schemas = cur.fetchall()
        cur.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2"
        )
        tables = cur.fetchall()
        cur.execute("select rolname from pg_roles order by 1")
        roles = cur.fetchall()
        cur.execute("select event_id, note from exp.events order by 1")
        rows = cur.fetchall()
    conn.close()
    return schemas, tables, roles, rows


def _env(settings: ConnectionSettings, pgdata: Path) -> dict[str, str]:
    return clean_env(
        EXPERIMENT_ANALYTICS_PGDATA=str(pgdata),
        PGHOST=settings.host,
        PGPORT=str(settings.port),
        PGUSER=settings.user,
        PGDATABASE=settings.dbname,
    )


def test_demo_data_and_roles_refuse_a_server_we_did_not_start(other_server, own_pgdata):
    before = snapshot(other_server)
    env = _env(other_server, own_pgdata)
    for command in (
        ["demo", "generate", "--events", "2000", "--replace"],
        ["demo", "generate", "--events", "2000"],
        ["roles", "create"],
    ):
        result = run([CLI, *command], env)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert (
            f"on postgresql://postgres@127.0.0.1:{other_server.port}/postgres: this project "
            "did not start that server" in result.stderr
        )
        assert "--allow-other-server" in result.stderr
    assert snapshot(other_server) == before


def test_make_demo_with_pghost_elsewhere_stops_and_changes_nothing(other_server, own_pgdata):
    before = snapshot(other_server)
    # The embedded server `make demo` starts first must not sit on 55432 during the test.
    with holding_port(DEFAULT_PORT):
        result = run(
            ["make", "--no-print-directory", "demo", "EVENTS=2000"],
            _env(other_server, own_pgdata),
            timeout=300,
        )
    assert result.returncode != 0
    assert "this project did not start that server" in result.stderr
    assert "PGHOST=127.0.0.1 is set" in result.stdout
    assert snapshot(other_server) == before


def test_allow_other_server_is_the_documented_way_through(other_server, own_pgdata):
    conn = connect(other_server)
    with conn.cursor() as cur:
        cur.execute("drop schema exp cascade")  # its events table is not the contract's
    conn.close()
    env = _env(other_server, own_pgdata)
    result = run(
        [CLI, "demo", "generate", "--events", "2000", "--replace", "--allow-other-server"], env
    )
    assert result.returncode == 0, result.stderr
    conn = connect(other_server)
    with conn.cursor() as cur:
        cur.execute("select count(*) from exp.experiments")
        assert cur.fetchone()[0] > 0
    conn.close()
