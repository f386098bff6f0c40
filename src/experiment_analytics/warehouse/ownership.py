"""Whose server is it? Commands that truncate, drop or load demo data run only on ours.

A server this project started (the embedded one: `make up`, the test suite's, the benchmark's)
runs with `cluster_name = experiment_analytics`. Anything else may be somebody's warehouse, so
destructive commands refuse it unless the user passes the documented `--allow-other-server`.
"""

from __future__ import annotations

import logging

from experiment_analytics.errors import WarehouseError
from experiment_analytics.warehouse import credentials, location
from experiment_analytics.warehouse.connection import ConnectionSettings, connect

_logger = logging.getLogger(__name__)

CLUSTER_NAME = "experiment_analytics"
ALLOW_FLAG = "--allow-other-server"


def is_project_server(settings: ConnectionSettings) -> bool:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("select current_setting('cluster_name')")
            return cur.fetchone()[0] == CLUSTER_NAME
    finally:
        conn.close()


def ensure_project_server(
    settings: ConnectionSettings, action: str, *, allow_other_server: bool = False
) -> None:
    """Raise unless `settings` point at a server this project started (or the user allowed it)."""
    if is_project_server(settings):
        return
    if allow_other_server:
        _logger.warning("%s on %s (%s given)", action, settings.describe(), ALLOW_FLAG)
        return
    running = location.running_server(location.default_pgdata())
    if running and running.port == settings.port and settings.host in credentials.LOCAL_HOSTS:
        raise WarehouseError(
            f"refusing to {action} on {settings.describe()}: the embedded server there was "
            "started by an older version of this project; restart it once: make down && make up"
        )
    raise WarehouseError(
        f"refusing to {action} on {settings.describe()}: this project did not start that server, "
        "so it may hold data that is not ours. Unset PGHOST/PGPORT to use the embedded server "
        f"(`make up`), or pass {ALLOW_FLAG} if that database is a disposable copy."
    )
