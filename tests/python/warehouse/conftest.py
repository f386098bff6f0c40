"""Fixtures for the warehouse tests: helpers to read dbt's run results, and dbt parsed once.

The demo warehouse (`demo_warehouse_build`, `demo_warehouse`) is the session-wide one of
tests/python/conftest.py (demo_warehouse.py), shared with every folder that reads it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from demo_warehouse import DemoWarehouse, role_settings

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.warehouse import ConnectionSettings, connect

__all__ = ["DemoWarehouse", "role_settings"]


def read_run_results(target_path: Path) -> list[dict]:
    """The results of the last dbt command that wrote to target_path."""
    return json.loads((target_path / "run_results.json").read_text())["results"]


def node_name(unique_id: str) -> str:
    """`test.experiment_analytics.unique_x.abc123` -> `unique_x`; `model.p.m` -> `m`."""
    parts = unique_id.split(".")
    return parts[2] if parts[0] == "test" and len(parts) >= 3 else parts[-1]


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class ParsedProject:
    """dbt in this process, parsed once, run against many fresh databases in turn.

    A dbt command run in a subprocess parses the whole project again whenever the profile points
    at another database (about ten seconds each). Here the project is parsed once for a fixed
    database name; `run` renames the given fresh database to that name for the duration of one
    dbt command, and back.
    """

    DATABASE = "dbt_parsed_project"

    def __init__(
        self, server: ConnectionSettings, target_root: Path, project_dir: Path = PROJECT_DIR
    ) -> None:
        from dbt.cli.main import dbtRunner

        self._server = server
        self._target_root = target_root
        self._project_dir = project_dir
        self._env = {
            **server.with_database(self.DATABASE).as_env(),
            "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        with _environment(self._env):
            result = dbtRunner().invoke(self._args(["parse"], target_root / "parse"))
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
        self._manifest = result.result

    def _args(self, args: list[str], target: Path) -> list[str]:
        return [
            *args,
            "--quiet",
            "--project-dir",
            str(self._project_dir),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
        ]

    def _rename(self, old: str, new: str) -> None:
        conn = connect(self._server.with_database("postgres"))
        with conn.cursor() as cur:
            cur.execute(f'alter database "{old}" rename to "{new}"')
        conn.close()

    def _forget_compilation(self) -> None:
        # A run marks the manifest's nodes compiled, with their ephemeral CTEs injected; a
        # second run on the same manifest would then leave those CTEs out of its SQL.
        from dbt.contracts.graph.nodes import CompiledNode

        for node in self._manifest.nodes.values():
            if isinstance(node, CompiledNode):
                node.extra_ctes_injected = False
                node.extra_ctes = []
                node.compiled = False

    def run(self, args: list[str], settings: ConnectionSettings, name: str) -> list[dict]:
        """Run `dbt <args>` on the database of `settings`; return its run_results entries."""
        from dbt.cli.main import dbtRunner

        target = self._target_root / name
        self._rename(settings.dbname, self.DATABASE)
        try:
            with _environment(self._env):
                self._forget_compilation()
                dbtRunner(manifest=self._manifest).invoke(self._args(args, target))
        finally:
            self._rename(self.DATABASE, settings.dbname)
        return read_run_results(target)


@pytest.fixture(scope="session")
def parsed_project(pg_server: ConnectionSettings, tmp_path_factory) -> ParsedProject:
    return ParsedProject(pg_server, tmp_path_factory.mktemp("dbt_parsed_project"))
