"""Connection settings, read from the same environment variables as profiles/profiles.yml."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import psycopg2

from experiment_analytics.errors import WarehouseError

DEFAULT_PORT = 55432


@dataclass(frozen=True)
class ConnectionSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    user: str = "postgres"
    password: str = ""
    dbname: str = "experiments"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ConnectionSettings:
        env = os.environ if environ is None else environ
        try:
            port = int(env.get("PGPORT", DEFAULT_PORT))
        except ValueError as exc:
            raise WarehouseError(f"PGPORT must be a port number, got {env['PGPORT']!r}") from exc
        return cls(
            host=env.get("PGHOST", cls.host),
            port=port,
            user=env.get("PGUSER", cls.user),
            password=env.get("PGPASSWORD", cls.password),
            dbname=env.get("PGDATABASE", cls.dbname),
        )

    def with_database(self, dbname: str) -> ConnectionSettings:
        return replace(self, dbname=dbname)

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
