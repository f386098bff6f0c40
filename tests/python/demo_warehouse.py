"""The session-wide demo warehouse that every test folder reads (fixtures in conftest.py).

Built once per session, as `make demo` builds it: roles first, then the exp sources and the
demo data (DEMO_EVENTS events, seed DEMO_SEED, ending when the session starts, so the
dashboards' relative default filters such as "past 7 days" find data), then a complete
`dbt build` (models, seeds, data tests, unit tests) as the builder role. Tests only read it;
a test that changes data builds a database of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import ConnectionSettings, create_exp_sources
from experiment_analytics.warehouse.credentials import passfile_for, read_passwords
from experiment_analytics.warehouse.roles import BUILDER, RoleNames, create_roles

DEMO_EVENTS = 20_000
DEMO_SEED = 11


@dataclass(frozen=True)
class DemoWarehouse:
    settings: ConnectionSettings  # the superuser's, for the tests' own queries
    target_path: Path  # dbt's target folder of the build (manifest, run_results)


def role_settings(settings: ConnectionSettings, pg_data_dir: Path, role: str) -> ConnectionSettings:
    """`settings` as `role`, with its password from the session server's password file."""
    return settings.with_user(role, read_passwords(passfile_for(pg_data_dir))[role])


def build_demo_warehouse(
    settings: ConnectionSettings, pg_data_dir: Path, target_path: Path
) -> DemoWarehouse:
    from experiment_analytics.demo_data import generate

    create_roles(settings, RoleNames(), passfile=passfile_for(pg_data_dir))
    create_exp_sources(settings)
    generate(settings, events=DEMO_EVENTS, seed=DEMO_SEED)
    run_dbt(["build"], role_settings(settings, pg_data_dir, BUILDER), target_path=target_path)
    return DemoWarehouse(settings, target_path)


def compile_analyses(settings: ConnectionSettings, target_path: Path) -> Path:
    """`dbt compile` of the analyses (card and alert SQL) into target_path; returns it."""
    run_dbt(
        ["compile", "--select", "resource_type:analysis", "--quiet"],
        settings,
        target_path=target_path,
    )
    return target_path
