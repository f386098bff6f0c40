"""The Docker route, checked without Docker: the compose file's services, ports and environment
agree with the project (marker, database, supported Metabase versions) and with what README.md
and metabase/README.md tell the user."""

from __future__ import annotations

import re

import yaml

from experiment_analytics.cli import build_parser
from experiment_analytics.metabase.publishers.database import SUPPORTED
from experiment_analytics.warehouse import ConnectionSettings, roles
from experiment_analytics.warehouse.ownership import CLUSTER_NAME

from .conftest import PROJECT_DIR

COMPOSE = PROJECT_DIR / "docker-compose.yml"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _header() -> str:
    return "\n".join(
        line[1:].strip() for line in COMPOSE.read_text().splitlines() if line.startswith("#")
    )


def test_services_ports_and_environment():
    compose = _compose()
    assert set(compose["services"]) == {"warehouse", "metabase"}
    warehouse, metabase = compose["services"]["warehouse"], compose["services"]["metabase"]
    # Reachable from this machine only; 5433 for the shell, 5432 inside Compose.
    assert warehouse["ports"] == ["127.0.0.1:5433:5432"]
    assert metabase["ports"] == ["127.0.0.1:3000:3000"]
    env = warehouse["environment"]
    assert env["POSTGRES_DB"] == ConnectionSettings.dbname
    # No password written in the file: compose refuses to start without the user's.
    assert re.fullmatch(r"\$\{WAREHOUSE_PASSWORD:\?[^}]+\}", env["POSTGRES_PASSWORD"])
    # This project starts that server: it carries the marker that allows demo data.
    assert f"cluster_name={CLUSTER_NAME}" in warehouse["command"]
    assert metabase["depends_on"] == {"warehouse": {"condition": "service_healthy"}}
    assert "pg_isready" in " ".join(warehouse["healthcheck"]["test"])
    assert "/api/health" in " ".join(metabase["healthcheck"]["test"])
    version = re.fullmatch(r"metabase/metabase:v0\.(\d+)\.\d+", metabase["image"])
    assert version and SUPPORTED[0] <= (0, int(version.group(1))) <= SUPPORTED[1]


def test_header_steps_use_real_commands_and_the_same_addresses():
    header = _header()
    assert "PGPORT=5433" in header and "host warehouse, port 5432" in header
    assert f"user {roles.READER}" in header and "Not --add-database" in header
    commands = build_parser()._subparsers._group_actions[0].choices
    for used in re.findall(r"\.venv/bin/experiment-analytics (\S+)", header):
        assert used in commands, used
    for used in re.findall(r"\.venv/bin/experiment-analytics \S+ (\S+)", header):
        assert not used.startswith("--") or used in ("--replace",), used


def test_the_readmes_say_the_same():
    readme = (PROJECT_DIR / "README.md").read_text()
    metabase_readme = (PROJECT_DIR / "metabase" / "README.md").read_text()
    for text in (readme, metabase_readme):
        assert "`warehouse:5432`" in text or "as `warehouse:5432`" in text
        assert "`analytics_reader`" in text
        assert (
            "rather than with `--add-database`" in text or "`--add-database` does not apply" in text
        )
    assert "`127.0.0.1:5433`" in readme and "`127.0.0.1:5433`" in metabase_readme
