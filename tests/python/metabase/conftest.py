"""Fixtures for the publisher's end-to-end tests.

- `demo_settings`: the session's shared demo warehouse (`demo_warehouse`, tests/python/conftest.py),
  read only; with METABASE_URL set, the warehouse of the PG* settings.
- `compiled_target`: a dbt target folder whose manifest holds the compiled analyses (the
  session's `compiled_analyses`; compiled here for the PG* warehouse with METABASE_URL set);
  publishes use it with `compile=False`.
- `metabase_target`: a Metabase to publish to, fresh per test module: the Metabase double by
  default, or a real instance when METABASE_URL and credentials are set (then the warehouse is
  the one of the PG* settings, which that Metabase must know as METABASE_DATABASE).
- `project_copy`: a copy of the project's YAML (metabase/, models/) that a test may edit; the
  repository's own files are never rewritten by a test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase import PublishOptions, Summary, publish
from experiment_analytics.metabase.project import compile_analyses
from experiment_analytics.warehouse import ConnectionSettings

REAL_METABASE = bool(os.environ.get("METABASE_URL")) and bool(
    os.environ.get("METABASE_API_KEY")
    or (os.environ.get("METABASE_USERNAME") and os.environ.get("METABASE_PASSWORD"))
)
DOUBLE_ONLY = pytest.mark.skipif(
    REAL_METABASE,
    reason="fault injection and fresh-instance tests need the Metabase double "
    "(METABASE_URL is set: these tests do not run against a real Metabase)",
)
DEMO_EVENTS = 20_000
# The edges of the supported range (metabase/README.md): end-to-end tests run at both.
LOWEST_VERSION, HIGHEST_VERSION = "v0.54.0", "v0.61.0"
EDGE_VERSIONS = [LOWEST_VERSION, HIGHEST_VERSION]


class Api:
    """A small JSON client for assertions; returns `requests.Response` objects."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=60, **kwargs)

    def ok(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        response = self.call(method, path, json=json, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.ok("GET", path, **kwargs)


def data(answer: Any) -> list[dict[str, Any]]:
    if isinstance(answer, dict) and "data" in answer:
        return list(answer["data"])
    return list(answer or [])


@dataclass
class MetabaseTarget:
    """Where the tests publish: the double (with its request log) or a real Metabase."""

    url: str
    database_name: str
    warehouse: ConnectionSettings
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    double: Any = None  # MetabaseDouble or None
    extra: dict[str, Any] = field(default_factory=dict)

    def admin(self) -> Api:
        if self.api_key:
            return Api(self.url, {"X-API-KEY": self.api_key})
        token = requests.post(
            f"{self.url}/api/session",
            json={"username": self.username, "password": self.password},
            timeout=30,
        ).json()["id"]
        return Api(self.url, {"X-Metabase-Session": token})

    def options(self, target_dir: Path, **overrides: Any) -> PublishOptions:
        values: dict[str, Any] = dict(
            metabase_url=self.url,
            metabase_api_key=self.api_key,
            metabase_username=None if self.api_key else self.username,
            metabase_password=None if self.api_key else self.password,
            metabase_database=self.database_name,
            warehouse=self.warehouse,
            target_dir=target_dir,
            compile=False,
            sync_timeout=60,
            http_timeout=30,
        )
        values.update(overrides)
        return PublishOptions(**values)

    def publish(self, target_dir: Path, **overrides: Any) -> Summary:
        return publish(self.options(target_dir, **overrides))

    def write_count(self, summary: Summary) -> int:
        """Writes Metabase received: the double's own log when there is one."""
        if self.double is not None:
            return len(self.double.write_requests())
        return summary.write_requests

    def clear_log(self) -> None:
        if self.double is not None:
            self.double.clear_requests()


@pytest.fixture(scope="session")
def _demo_build(
    request: pytest.FixtureRequest, tmp_path_factory
) -> tuple[ConnectionSettings, Path]:
    """(warehouse, dbt target folder with the compiled analyses)."""
    if REAL_METABASE:
        settings = ConnectionSettings.from_env()
        target = tmp_path_factory.mktemp("dbt_metabase_target")
        compile_analyses(settings, target)
        return settings, target
    return request.getfixturevalue("demo_warehouse"), request.getfixturevalue("compiled_analyses")


@pytest.fixture(scope="session")
def demo_settings(_demo_build) -> ConnectionSettings:
    return _demo_build[0]


@pytest.fixture(scope="session")
def compiled_target(_demo_build) -> Path:
    return _demo_build[1]


def copy_project(destination: Path) -> Path:
    """The parts of the project the publisher reads besides the manifest (YAML specs and the
    exposures file it may edit)."""
    for name in ("metabase", "models"):
        shutil.copytree(PROJECT_DIR / name, destination / name)
    return destination


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def fresh_double(warehouse: ConnectionSettings | None, **kwargs: Any):
    from experiment_analytics.metabase_double import MetabaseDouble

    kwargs.setdefault("sync_delay_seconds", 0.05)
    return MetabaseDouble(warehouse=warehouse, **kwargs)


@pytest.fixture(scope="module", params=[None] if REAL_METABASE else EDGE_VERSIONS)
def metabase_target(
    request: pytest.FixtureRequest, demo_settings: ConnectionSettings
) -> Iterator[MetabaseTarget]:
    """The Metabase of a module: a real one (METABASE_URL), or a fresh double at the lowest
    and then the highest supported version."""
    if REAL_METABASE:
        yield MetabaseTarget(
            url=os.environ["METABASE_URL"],
            database_name=os.environ.get("METABASE_DATABASE", "Experiments"),
            warehouse=demo_settings,
            api_key=os.environ.get("METABASE_API_KEY") or None,
            username=os.environ.get("METABASE_USERNAME") or None,
            password=os.environ.get("METABASE_PASSWORD") or None,
        )
        return
    with fresh_double(demo_settings, version=request.param) as double:
        yield MetabaseTarget(
            url=double.url,
            database_name=double.database_name,
            warehouse=demo_settings,
            api_key=double.api_key,
            double=double,
        )
