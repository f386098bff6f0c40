"""Fixtures for the dashboard-content tests: specs on disk, compiled card SQL, two warehouses.

- `card_warehouse`: the shared demo warehouse (`demo_warehouse`, demo data + `dbt build`) when
  that fixture exists, else one built here the same way; card queries run on it.
- `alert_warehouse`: a tiny hand-made data set whose timestamps are relative to NOW, built once
  per module, on which every alert is healthy; the alert tests break one condition at a time.
"""

from __future__ import annotations

import pytest

from experiment_analytics.warehouse import ConnectionSettings

from .content import CompiledProject, compile_project, load_demo


@pytest.fixture(scope="session")
def card_warehouse(request: pytest.FixtureRequest, tmp_path_factory) -> ConnectionSettings:
    try:
        return request.getfixturevalue("demo_warehouse")
    except pytest.FixtureLookupError:
        settings = request.getfixturevalue("new_database")("dashboards_demo")
        load_demo(settings, tmp_path_factory.mktemp("dbt_dashboards_demo"))
        return settings


@pytest.fixture(scope="session")
def compiled(card_warehouse: ConnectionSettings, tmp_path_factory) -> CompiledProject:
    return compile_project(card_warehouse, tmp_path_factory.mktemp("dbt_dashboards_compile"))
