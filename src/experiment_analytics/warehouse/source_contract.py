"""Create the `exp` source tables from exp_source_contract.sql (idempotent)."""

from __future__ import annotations

import logging
from importlib import resources

from experiment_analytics.warehouse.connection import ConnectionSettings, connect

_logger = logging.getLogger(__name__)

SOURCE_TABLES = (
    "policy_versions",
    "experiments",
    "variants",
    "assignments",
    "events",
    "metric_aggregates",
    "offline_evaluations",
    "unit_daily_activity",
)


def source_contract_sql() -> str:
    return resources.files(__package__).joinpath("exp_source_contract.sql").read_text()


def create_exp_sources(settings: ConnectionSettings | None = None) -> None:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(source_contract_sql())
    finally:
        conn.close()
    _logger.info("exp source tables present: %s", ", ".join(SOURCE_TABLES))


def drop_exp_sources(
    settings: ConnectionSettings | None = None, *, allow_other_server: bool = False
) -> None:
    """Drop schema exp entirely (demo and tests only; refused on a server we did not start)."""
    from experiment_analytics.warehouse.ownership import ensure_project_server

    settings = settings or ConnectionSettings.from_env()
    ensure_project_server(settings, "drop schema exp", allow_other_server=allow_other_server)
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("drop schema if exists exp cascade")
    finally:
        conn.close()
