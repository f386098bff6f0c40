"""Fixtures for the warehouse tests: the demo warehouse, and helpers to read dbt's run results.

`demo_warehouse` is meant for every test folder (the lead can move it to tests/python/conftest.py
as is): a fresh database with the exp sources, the demo data set (about 30k events, fixed seed
and end) and a complete `dbt build` (all models, seeds and data tests passing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import ConnectionSettings, create_exp_sources

DEMO_EVENTS = 30_000
DEMO_SEED = 42
# Fixed, so the data set is the same in every run (freshness is tested on its own data).
DEMO_END_AT = datetime(2026, 1, 31, tzinfo=UTC)


@dataclass(frozen=True)
class DemoWarehouse:
    settings: ConnectionSettings
    target_path: Path


@pytest.fixture(scope="session")
def demo_warehouse_build(new_database, tmp_path_factory) -> DemoWarehouse:
    """The demo warehouse and the dbt target directory of its `dbt build`."""
    from experiment_analytics.demo_data import generate

    settings = new_database("demo")
    create_exp_sources(settings)
    generate(settings, events=DEMO_EVENTS, seed=DEMO_SEED, end_at=DEMO_END_AT)
    target_path = tmp_path_factory.mktemp("dbt_demo_build")
    run_dbt(["build"], settings, target_path=target_path)
    return DemoWarehouse(settings, target_path)


@pytest.fixture(scope="session")
def demo_warehouse(demo_warehouse_build: DemoWarehouse) -> ConnectionSettings:
    """Settings of a database with the demo data where `dbt build` has run and passed."""
    return demo_warehouse_build.settings


def read_run_results(target_path: Path) -> list[dict]:
    """The results of the last dbt command that wrote to target_path."""
    return json.loads((target_path / "run_results.json").read_text())["results"]


def node_name(unique_id: str) -> str:
    """`test.experiment_analytics.unique_x.abc123` -> `unique_x`; `model.p.m` -> `m`."""
    parts = unique_id.split(".")
    return parts[2] if parts[0] == "test" and len(parts) >= 3 else parts[-1]
