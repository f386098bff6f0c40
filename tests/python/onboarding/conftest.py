"""Helpers for the first-hour tests: the project's command line run as a user runs it.

Every command runs in a subprocess with a clean environment (no PG* or METABASE_* variables of
the machine), an embedded server of its own (EXPERIMENT_ANALYTICS_PGDATA in a temp directory)
and whatever the test adds, so what passes here is what a new shell sees.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from experiment_analytics.warehouse import embedded

PROJECT_DIR = Path(__file__).resolve().parents[3]
CLI = str(Path(sys.executable).with_name("experiment-analytics"))
# Variables of the developer's shell that would change what the commands do.
_DROP_PREFIXES = ("PG", "METABASE_", "MB_DOUBLE_", "DBT_", "WAREHOUSE_", "EXPERIMENT_ANALYTICS_")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
    env.update(extra)
    return env


def run(
    command: list[str] | str, env: dict[str, str], timeout: float = 120, **kwargs
) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        env=env,
        cwd=PROJECT_DIR,
        text=True,
        capture_output=True,
        timeout=timeout,
        shell=isinstance(command, str),
        executable="/bin/bash" if isinstance(command, str) else None,
        **kwargs,
    )


@contextmanager
def holding_port(port: int) -> Iterator[bool]:
    """Listen on 127.0.0.1:`port` for the duration (True), or False when someone else already
    does: either way another process holds the port."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is ok
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        sock.close()
        yield False
        return
    try:
        yield True
    finally:
        sock.close()


@pytest.fixture
def own_pgdata(tmp_path: Path) -> Iterator[Path]:
    """A data directory for a server the test starts through the CLI; stopped afterwards."""
    pgdata = tmp_path / "pg" / "data"
    yield pgdata
    embedded.stop(pgdata)
