"""Run dbt for this project as a subprocess, against given connection settings.

One way to call dbt from Python (the demo, the benchmark and the tests all use it): the dbt CLI
in this virtual environment, the project's own profiles/ directory, and the connection passed
through the same environment variables profiles.yml reads.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.warehouse.connection import ConnectionSettings

_logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[2]


class DbtError(ExperimentAnalyticsError):
    """A dbt command failed; the message holds the tail of its output."""


@dataclass(frozen=True)
class DbtResult:
    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str],
    settings: ConnectionSettings | None = None,
    *,
    project_dir: Path = PROJECT_DIR,
    extra_env: dict[str, str] | None = None,
    check: bool = True,
    stream: bool = False,
    target_path: Path | None = None,
) -> DbtResult:
    """Run `dbt <args>`; raise DbtError with the output's tail when it fails and `check` is set."""
    env = dict(os.environ)
    if settings is not None:
        env.update(settings.as_env())
    env.setdefault("DBT_PROFILES_DIR", str(project_dir / "profiles"))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if target_path is not None:
        env["DBT_TARGET_PATH"] = str(target_path)
    env.update(extra_env or {})
    command = [dbt_executable(), *args, "--project-dir", str(project_dir)]
    shown = " ".join(arg if len(arg) < 200 else arg[:60] + " ..." for arg in args)
    _logger.info("running: dbt %s", shown)
    started = time.perf_counter()
    if stream:
        proc = subprocess.run(command, env=env, cwd=project_dir, text=True)
        output = ""
    else:
        proc = subprocess.run(
            command,
            env=env,
            cwd=project_dir,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output = proc.stdout
    result = DbtResult(tuple(args), proc.returncode, output, time.perf_counter() - started)
    if check and proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-60:])
        raise DbtError(f"`dbt {' '.join(args)}` failed (exit {proc.returncode}):\n{tail}")
    return result
