"""The embedded server needs a password over TCP; the password lives owner-only next to the data
directory, every project command finds it, a user-set PGPASSWORD wins, nothing prints it."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg2
import pytest

from experiment_analytics.warehouse import ConnectionSettings, credentials, roles


@pytest.fixture
def no_passfile(monkeypatch, tmp_path):
    # libpq would otherwise look in ~/.pgpass or a PGPASSFILE of the machine.
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-such-file"))
    monkeypatch.delenv("PGPASSWORD", raising=False)


@pytest.mark.parametrize("user", ["postgres", roles.BUILDER, roles.READER])
def test_tcp_connections_without_the_password_are_refused(pg_server, no_passfile, user):
    for password in ("", "not-the-password"):
        with pytest.raises(psycopg2.OperationalError, match="password"):
            psycopg2.connect(
                host=pg_server.host,
                port=pg_server.port,
                user=user,
                password=password,
                dbname="postgres",
                connect_timeout=10,
            )


def test_the_stored_passwords_work_and_are_owner_only(pg_server, pg_data_dir: Path, no_passfile):
    passfile = credentials.passfile_for(pg_data_dir)
    assert passfile == pg_data_dir.parent / "pgpass"
    mode = stat.S_IMODE(passfile.stat().st_mode)
    assert mode == 0o600, oct(mode)
    passwords = credentials.read_passwords(passfile)
    assert set(passwords) == {"postgres", roles.BUILDER, roles.READER}
    assert len(set(passwords.values())) == 3 and all(len(p) >= 24 for p in passwords.values())
    for user, password in passwords.items():
        conn = psycopg2.connect(
            host=pg_server.host,
            port=pg_server.port,
            user=user,
            password=password,
            dbname="postgres",
        )
        conn.close()
    # libpq reads the same file (what `db env` exports for dbt and psql).
    conn = psycopg2.connect(
        host=pg_server.host,
        port=pg_server.port,
        user=roles.BUILDER,
        dbname="postgres",
        passfile=str(passfile),
    )
    conn.close()
    # The unix socket (trust) is inside the data directory, which only its owner may open.
    assert stat.S_IMODE(pg_data_dir.stat().st_mode) & 0o077 == 0


def test_project_settings_find_the_password_and_a_set_pgpassword_wins(pg_server, pg_data_dir):
    env = {
        "EXPERIMENT_ANALYTICS_PGDATA": str(pg_data_dir),
        "PGHOST": pg_server.host,
        "PGPORT": str(pg_server.port),
    }
    stored = credentials.read_passwords(credentials.passfile_for(pg_data_dir))
    assert ConnectionSettings.from_env(env).password == stored["postgres"]
    assert ConnectionSettings.from_env({**env, "PGPASSWORD": "mine"}).password == "mine"
    reader = ConnectionSettings.reader_from_env(env)
    assert (reader.user, reader.password) == (roles.READER, stored[roles.READER])
    # Another port of this machine is another server: the stored passwords are not offered.
    other = ConnectionSettings.from_env({**env, "PGPORT": str(pg_server.port + 1)})
    assert other.password == ""
    assert stored["postgres"] not in repr(ConnectionSettings.from_env(env))
