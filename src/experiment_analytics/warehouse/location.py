"""Where the embedded server keeps its data, and whether (and on which port) it is running.

The data directory is `<repository>/.pg/data` unless EXPERIMENT_ANALYTICS_PGDATA names another
(a project-specific name on purpose: PostgreSQL's own PGDATA may point at a cluster of yours,
which this project must never start, reconfigure or wipe). The running server records its port
in `postmaster.pid`; every command of the project reads it from there, so nobody has to export
PGPORT after `make demo` picked a free port.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[3]
PGDATA_ENV = "EXPERIMENT_ANALYTICS_PGDATA"


def default_pgdata(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(PGDATA_ENV) or PROJECT_DIR / ".pg" / "data").resolve()


@dataclass(frozen=True)
class RunningServer:
    pid: int
    port: int
    pgdata: Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server(pgdata: Path) -> RunningServer | None:
    """The server of `pgdata` when `postmaster.pid` names a live process (its lines: pid, data
    directory, start time, port, socket directory, listen address, ...)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (FileNotFoundError, PermissionError, ValueError, IndexError):
        return None
    return RunningServer(pid, port, pgdata) if _alive(pid) else None
