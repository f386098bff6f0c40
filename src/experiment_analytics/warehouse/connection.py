"""Connection settings, read from the same environment variables as profiles/profiles.yml.

Resolution when a variable is unset (so every command works in a new shell after `make demo`):
- PGPORT: the port the running embedded server recorded (`location.running_server`), else
  55432. A PGPORT that differs from the running embedded server's port is an error when PGHOST
  is unset (the user means the embedded server), never a silent connection elsewhere.
- PGPASSWORD: the password file (PGPASSFILE, else the embedded server's `.pg/pgpass`), matched
  like libpq does. A PGPASSWORD the user set always wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg2

from experiment_analytics.errors import WarehouseError
from experiment_analytics.warehouse import credentials, location

DEFAULT_PORT = 55432
DEFAULT_HOST = "127.0.0.1"
DEFAULT_READER = "analytics_reader"


@dataclass(frozen=True)
class ConnectionSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    user: str = "postgres"
    password: str = ""
    dbname: str = "experiments"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, user: str | None = None
    ) -> ConnectionSettings:
        """PG* settings; `user` replaces PGUSER (its password is then looked up, not PGPASSWORD)."""
        env = os.environ if environ is None else environ
        pgdata = location.default_pgdata(env)
        host = env.get("PGHOST") or cls.host
        port = _port(env, pgdata)
        dbname = env.get("PGDATABASE") or cls.dbname
        role = user or env.get("PGUSER") or cls.user
        password = None if user else env.get("PGPASSWORD")
        if password is None:
            passfiles = [Path(env["PGPASSFILE"])] if env.get("PGPASSFILE") else []
            for passfile in [*passfiles, credentials.passfile_for(pgdata)]:
                password = credentials.lookup(passfile, host, port, dbname, role)
                if password is not None:
                    break
        return cls(host=host, port=port, user=role, password=password or "", dbname=dbname)

    @classmethod
    def reader_from_env(cls, environ: Mapping[str, str] | None = None) -> ConnectionSettings:
        """The read-only role Metabase should connect as (README "Roles").

        WAREHOUSE_READER_USER / WAREHOUSE_READER_PASSWORD name it; unset, the embedded server's
        `analytics_reader` is used when its password file knows that role; otherwise the PG*
        settings themselves (and the publisher warns when that role can write).
        """
        env = os.environ if environ is None else environ
        reader = env.get("WAREHOUSE_READER_USER")
        if reader:
            settings = cls.from_env(env, user=reader)
            if env.get("WAREHOUSE_READER_PASSWORD"):
                settings = replace(settings, password=env["WAREHOUSE_READER_PASSWORD"])
            return settings
        settings = cls.from_env(env, user=DEFAULT_READER)
        return settings if settings.password else cls.from_env(env)

    def with_database(self, dbname: str) -> ConnectionSettings:
        return replace(self, dbname=dbname)

    def with_user(self, user: str, password: str) -> ConnectionSettings:
        return replace(self, user=user, password=password)

    def as_env(self) -> dict[str, str]:
        """The environment variables that make dbt's profile (and psql) use these settings."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
        }

    def describe(self) -> str:
        """Where we connect, without the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def __repr__(self) -> str:
        # Never the password: settings end up in logs and assertion messages.
        return f"ConnectionSettings({self.describe()})"


def _port(env: Mapping[str, str], pgdata: Path) -> int:
    running = location.running_server(pgdata)
    text = env.get("PGPORT")
    if not text:
        return running.port if running else DEFAULT_PORT
    try:
        port = int(text)
    except ValueError as exc:
        raise WarehouseError(f"PGPORT must be a port number, got {text!r}") from exc
    if running and not env.get("PGHOST") and port != running.port:
        raise WarehouseError(
            f"PGPORT={port} but the embedded server (data in {pgdata}) listens on "
            f"{running.port}: unset PGPORT (project commands find the port themselves), or "
            "set PGHOST too if you mean another server"
        )
    return port


def connect(settings: ConnectionSettings | None = None, *, autocommit: bool = True):
    """Open a psycopg2 connection, with an error that says where it tried to connect."""
    settings = settings or ConnectionSettings.from_env()
    try:
        conn = psycopg2.connect(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password=settings.password,
            dbname=settings.dbname,
            connect_timeout=10,
            application_name="experiment_analytics",
        )
    except psycopg2.OperationalError as exc:
        raise WarehouseError(
            f"cannot connect to {settings.describe()}: {str(exc).strip()}\n"
            "Start the embedded server with `make up`, or set PGHOST/PGPORT/PGUSER/PGPASSWORD/"
            "PGDATABASE to your own PostgreSQL."
        ) from exc
    conn.autocommit = autocommit
    return conn
