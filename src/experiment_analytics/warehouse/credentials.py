"""Passwords of the embedded server, kept in a libpq password file (`.pg/pgpass`).

The file sits next to the data directory (in its parent), is readable by its owner only
(mode 0600, which libpq itself insists on) and has libpq's format
`host:port:database:user:password`, so `export PGPASSFILE=$PWD/.pg/pgpass` makes psql, dbt and
every libpq client find the passwords without them ever being printed or typed. The project's
Python code reads the same file (`lookup`). A password in `PGPASSWORD` always wins: libpq and
`ConnectionSettings.from_env` only fall back to the file when it is unset.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PASSFILE_NAME = "pgpass"
# The embedded server listens on 127.0.0.1 only; "localhost" is how many clients write it.
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def passfile_for(pgdata: Path) -> Path:
    """The password file of the embedded server whose data directory is `pgdata`."""
    return pgdata.parent / PASSFILE_NAME


def generate_password() -> str:
    # URL-safe characters only: no ':' or '\\', which the pgpass format would need escaped.
    return secrets.token_urlsafe(24)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _fields(line: str) -> list[str]:
    fields, current, escaped = [], "", False
    for char in line:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append(current)
            current = ""
        else:
            current += char
    fields.append(current)
    return fields


def read_passwords(passfile: Path) -> dict[str, str]:
    """user -> password for the local server, from a password file written by `write_password`."""
    passwords: dict[str, str] = {}
    try:
        text = passfile.read_text()
    except FileNotFoundError:
        return passwords
    for line in text.splitlines():
        fields = _fields(line)
        if line.startswith("#") or len(fields) != 5:
            continue
        passwords.setdefault(fields[3], fields[4])
    return passwords


def write_password(passfile: Path, user: str, password: str, port: int | str = "*") -> None:
    """Add or replace `user`'s password (any database of the local server on `port`)."""
    lines = [
        line
        for line in (passfile.read_text().splitlines() if passfile.exists() else [])
        if len(_fields(line)) != 5 or _fields(line)[3] != user
    ]
    lines += [f"{host}:{port}:*:{_escape(user)}:{_escape(password)}" for host in LOCAL_HOSTS]
    _write(passfile, lines)


def bind_port(passfile: Path, port: int) -> None:
    """Make every entry apply to `port` only: the server's current port (it may change when it
    restarts), so the passwords are never offered to another server on this machine."""
    for user, password in read_passwords(passfile).items():
        write_password(passfile, user, password, port)


def _write(passfile: Path, lines: list[str]) -> None:
    passfile.parent.mkdir(parents=True, exist_ok=True)
    # Created owner-only before anything is written into it.
    fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(passfile, 0o600)


def ensure_password(
    passfile: Path, user: str, initial: str | None = None, port: int | str = "*"
) -> str:
    """`user`'s password from the file; a new one (or `initial`) is generated and stored."""
    existing = read_passwords(passfile).get(user)
    if existing is not None:
        return existing
    password = initial or generate_password()
    write_password(passfile, user, password, port)
    return password


def lookup(passfile: Path, host: str, port: int, dbname: str, user: str) -> str | None:
    """libpq's rule: the first line whose fields match (`*` matches anything)."""
    try:
        text = passfile.read_text()
    except (FileNotFoundError, PermissionError):
        return None
    wanted = [host, str(port), dbname, user]
    for line in text.splitlines():
        fields = _fields(line)
        if line.startswith("#") or len(fields) != 5:
            continue
        if all(pattern in ("*", value) for pattern, value in zip(fields[:4], wanted, strict=True)):
            return fields[4]
    return None
