"""Fixtures for the dashboard-content tests: specs on disk, compiled card SQL, two warehouses.

- `card_warehouse`: the session's shared demo warehouse (`demo_warehouse`: demo data and a
  complete `dbt build`, tests/python/conftest.py); card queries run on it, read only.
- `compiled`: the card and alert SQL of the session's one `dbt compile` (`compiled_analyses`).
- `alert_warehouse`: a tiny hand-made data set whose timestamps are relative to NOW, built once
  per module, on which every alert is healthy; the alert tests break one condition at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from experiment_analytics.warehouse import ConnectionSettings

from .content import CompiledProject, read_compiled_project


@pytest.fixture(scope="session")
def card_warehouse(demo_warehouse: ConnectionSettings) -> ConnectionSettings:
    return demo_warehouse


@pytest.fixture(scope="session")
def compiled(compiled_analyses: Path) -> CompiledProject:
    return read_compiled_project(compiled_analyses)
