"""Source freshness of the two logs: pass when fresh, warn after 6 hours, error after 24 hours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import connect, create_exp_sources

BASE_DATA = Path(__file__).with_name("base_data.sql")
LOGS = {"events": "received_at", "metric_aggregates": "computed_at"}


def _freshness(settings, target: Path) -> dict[str, str]:
    run_dbt(
        ["source", "freshness", "--select", "source:exp"], settings, target_path=target, check=False
    )
    results = json.loads((target / "sources.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r["status"] for r in results}


@pytest.mark.slow
def test_freshness_follows_the_age_of_the_newest_row(new_database, tmp_path):
    settings = new_database("freshness")
    create_exp_sources(settings)
    conn = connect(settings)

    def newest_rows_aged(hours: float) -> None:
        with conn.cursor() as cur:
            for table, column in LOGS.items():
                cur.execute(
                    f"update exp.{table} set {column} = now() - %s * interval '1 hour'"
                    f" where {column} = (select max({column}) from exp.{table})",
                    (hours,),
                )

    with conn.cursor() as cur:
        cur.execute(BASE_DATA.read_text())
    # The data set's rows are from January 2026: long stale.
    assert _freshness(settings, tmp_path) == {"events": "error", "metric_aggregates": "error"}
    newest_rows_aged(1)
    assert _freshness(settings, tmp_path) == {"events": "pass", "metric_aggregates": "pass"}
    newest_rows_aged(7)
    assert _freshness(settings, tmp_path) == {"events": "warn", "metric_aggregates": "warn"}
    conn.close()
