"""The whole warehouse once on the demo data: dbt build passes, the exp views answer, and the
five dashboards are exposures in the manifest."""

from __future__ import annotations

import json

from experiment_analytics.warehouse import connect

from .conftest import DemoWarehouse, node_name, read_run_results

EXPOSURES = {
    "experiment_overview": "Experiment Overview",
    "variant_performance": "Variant Performance",
    "offline_vs_online": "Offline vs Online",
    "model_quality": "Model Quality",
    "latency_and_cost": "Latency & Cost",
}


def test_dbt_build_runs_every_node_successfully(demo_warehouse_build: DemoWarehouse):
    results = read_run_results(demo_warehouse_build.target_path)
    bad = {
        node_name(r["unique_id"]): r["status"]
        for r in results
        if r["status"] not in ("success", "pass", "no-op")
    }
    assert not bad, f"nodes that did not succeed: {bad}"
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "test", "seed", "unit_test"} <= kinds


def test_marts_hold_the_demo_data(demo_warehouse_build: DemoWarehouse):
    conn = connect(demo_warehouse_build.settings)
    with conn.cursor() as cur:
        cur.execute("select count(*) from exp.events where event_type = 'generation'")
        generation_events = cur.fetchone()[0]
        cur.execute("select count(*), count(distinct request_id) from analytics.generations")
        generations, requests = cur.fetchone()
        cur.execute("select sum(generation_count) from analytics.variant_daily_metrics")
        daily_generations = cur.fetchone()[0]
        cur.execute("select sum(event_count) from analytics.experiment_daily_events")
        daily_events = cur.fetchone()[0]
        cur.execute("select count(*) from exp.events")
        events = cur.fetchone()[0]
    conn.close()
    assert generation_events > 5_000
    assert generations == requests == generation_events == daily_generations
    assert daily_events == events


def test_required_views_answer_queries(demo_warehouse_build: DemoWarehouse):
    conn = connect(demo_warehouse_build.settings)
    with conn.cursor() as cur:
        cur.execute(
            "select count(*), count(experiment_name), count(variant_name) "
            "from exp.v_experiment_metrics"
        )
        rows, named_experiments, named_variants = cur.fetchone()
        assert rows > 0 and rows == named_experiments == named_variants
        cur.execute("select count(*), bool_and(status = 'active') from exp.v_active_experiments")
        active, all_active = cur.fetchone()
        cur.execute("select count(*) from exp.experiments where status = 'active'")
        assert active == cur.fetchone()[0] > 0 and all_active
        cur.execute(
            "select count(*), count(model_name), count(model_version) from exp.v_policy_versions"
        )
        versions, with_model, with_model_version = cur.fetchone()
        cur.execute("select count(*) from exp.policy_versions")
        assert versions == with_model == with_model_version == cur.fetchone()[0] > 0
    conn.close()


def test_the_five_dashboards_are_exposures(demo_warehouse_build: DemoWarehouse):
    manifest = json.loads((demo_warehouse_build.target_path / "manifest.json").read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert set(exposures) == set(EXPOSURES)
    for name, label in EXPOSURES.items():
        exposure = exposures[name]
        assert exposure["label"] == label
        assert exposure["type"] == "dashboard"
        assert exposure["owner"]["email"] and exposure["owner"]["name"]
        assert exposure["depends_on"]["nodes"], name
        assert exposure["meta"]["metabase"]["spec"] == f"metabase/dashboards/{name}.yml"
