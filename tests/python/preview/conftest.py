"""Fixtures of the preview tests: a demo warehouse, the preview built on it, a headless Chromium.

- `preview_warehouse`: the session's shared demo warehouse (`demo_warehouse`), read only.
- `preview_target`: the session's compiled analyses (`compiled_analyses`), so the preview's
  `--compile auto` finds them current and compiles nothing.
- `preview`: `build_preview` on it with the dashboards' default filter values (PNGs included);
  `filtered_preview`: the same with an experiment and a date range given.
- `chromium`: installs Debian's chromium + chromium-driver through the project's own script
  (scripts/install_chromium.sh, as `make browser` does) when missing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase.project import load_project
from experiment_analytics.preview.build import PreviewOptions, PreviewResult, build_preview
from experiment_analytics.warehouse import ConnectionSettings, connect


@pytest.fixture(scope="session")
def chromium() -> None:
    done = subprocess.run(
        ["sh", str(PROJECT_DIR / "scripts" / "install_chromium.sh")],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"headless Chromium is needed and missing: {done.stderr.strip()}")


@pytest.fixture(scope="session")
def preview_warehouse(demo_warehouse: ConnectionSettings) -> ConnectionSettings:
    return demo_warehouse


@pytest.fixture(scope="session")
def preview_target(compiled_analyses: Path) -> Path:
    """The dbt target folder with the analyses compiled for the preview's warehouse."""
    return compiled_analyses


@pytest.fixture(scope="session")
def preview(preview_warehouse, preview_target, chromium, tmp_path_factory) -> PreviewResult:
    return build_preview(
        PreviewOptions(
            warehouse=preview_warehouse,
            output_dir=tmp_path_factory.mktemp("preview"),
            target_dir=preview_target,
            pictures_dir=tmp_path_factory.mktemp("pictures"),
        )
    )


@pytest.fixture(scope="session")
def project(preview, preview_target):
    return load_project(preview_target / "manifest.json")


def relation(project, model: str) -> str:
    info = project.models[model]
    return f'"{info.schema}"."{info.alias}"'


@pytest.fixture(scope="session")
def chosen_experiment(preview_warehouse, project) -> str:
    """The experiment with the most variants that had generations in the last 14 days."""
    conn = connect(preview_warehouse)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"select experiment_name from {relation(project, 'variant_daily_metrics')}"
                " where metric_date >= current_date - 14"
                " group by experiment_name"
                " order by count(distinct variant_name) desc, experiment_name limit 1"
            )
            row = cur.fetchone()
    finally:
        conn.close()
    assert row, "the demo data has no generations in the last 14 days"
    return row[0]


DATE_RANGE = "past14days"


@pytest.fixture(scope="session")
def filtered_preview(
    preview_warehouse, preview_target, preview, chosen_experiment, tmp_path_factory
) -> PreviewResult:
    return build_preview(
        PreviewOptions(
            warehouse=preview_warehouse,
            output_dir=tmp_path_factory.mktemp("preview_filtered"),
            target_dir=preview_target,
            compile="never",
            filters={"experiment": chosen_experiment, "date_range": DATE_RANGE},
            screenshots=False,
        )
    )
