"""End-to-end through the API against the Metabase double, with a tiny hand-made project.

Publish, publish again (zero writes), change one card (exactly one card update), plan (no writes).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("experiment_analytics.metabase_double.server")

from experiment_analytics.metabase.client import MetabaseClient
from experiment_analytics.metabase.orchestrator import Publisher, PublishSettings
from experiment_analytics.metabase.spec import GroupSpec
from experiment_analytics.metabase.validate import load_specs
from experiment_analytics.metabase_double.server import MetabaseDouble

from .test_validate import SQL, config, dashboard, project


@pytest.fixture(scope="module")
def warehouse(new_database):
    from .test_validate import connect

    settings = new_database("publish")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "create schema analytics; create table analytics.variant_daily_metrics "
            "(experiment_name text, metric_date date, acceptance_rate double precision)"
        )
    conn.close()
    return settings


def run(double, specs, warehouse, **kw):
    client = MetabaseClient(double.url, api_key=double.api_key, timeout=10)
    settings = PublishSettings(
        "Experiments",
        warehouse,
        push_model_metadata=False,
        sync_poll_seconds=0.1,
        sync_timeout=30,
        **kw,
    )
    return Publisher(client, specs, settings).run()


@pytest.mark.slow
def test_publish_converges(tmp_path, warehouse) -> None:
    cfg = config(tmp_path).model_copy(
        update={
            "groups": {
                "ml_team": GroupSpec(
                    key="ml_team", name="ML Team", collections={"*": "write"}, native_queries=True
                )
            }
        }
    )
    info = project(tmp_path, dashboard())
    info = replace(
        info,
        relations={
            ("analytics", "variant_daily_metrics"): (
                "experiment_name",
                "metric_date",
                "acceptance_rate",
            )
        },
    )
    specs = load_specs(cfg, info, warehouse)
    with MetabaseDouble(warehouse=warehouse, sync_delay_seconds=0.1) as double:
        first = run(double, specs, warehouse)
        assert first.pending
        assert any(c.kind == "dashboard" and c.action == "created" for c in first.changes)
        double.clear_requests()
        second = run(double, specs, warehouse)
        assert not second.pending, [c for c in second.changes if c.action != "unchanged"]
        assert double.write_requests() == []
        changed = replace(
            info,
            analyses={
                "vp__trend": replace(
                    info.analyses["vp__trend"], compiled_sql=SQL + "\norder by metric_date"
                )
            },
        )
        specs2 = load_specs(cfg, changed, warehouse)
        planned = run(double, specs2, warehouse, plan=True)
        assert double.write_requests() == []
        assert [(c.kind, c.action) for c in planned.changes if c.action != "unchanged"] == [
            ("card", "updated")
        ]
        third = run(double, specs2, warehouse)
        writes = double.write_requests()
        assert len(writes) == 1 and writes[0].method == "PUT" and "/api/card/" in writes[0].path
        assert [(c.kind, c.action) for c in third.changes if c.action != "unchanged"] == [
            ("card", "updated")
        ]
