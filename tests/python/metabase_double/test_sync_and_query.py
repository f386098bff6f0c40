"""Sync against a real PostgreSQL and card queries with template tags run on it."""

from __future__ import annotations

import time

import pytest

from experiment_analytics.warehouse import connect
from metabase_double.conftest import Api, field_id, native_card


def test_metadata_has_tables_columns_types_and_comments(api: Api, double) -> None:
    metadata = api.ok(
        "GET", f"/api/database/{double.database_id}/metadata", params={"include_hidden": "true"}
    )
    tables = {(t["schema"], t["name"]): t for t in metadata["tables"]}
    assert {
        ("analytics", "experiments"),
        ("analytics", "variant_daily_metrics"),
        ("analytics", "recent_metrics"),
    } <= set(tables)
    experiments = tables[("analytics", "experiments")]
    assert experiments["description"] == "One row per experiment."
    assert experiments["display_name"] == "Experiments"
    assert "db" not in experiments  # dbt-metabase keys tables by schema.name only then
    fields = {f["name"]: f for f in experiments["fields"]}
    assert list(fields) == ["experiment_id", "experiment_name", "started_on"]
    assert fields["experiment_id"]["semantic_type"] == "type/PK"
    assert fields["experiment_id"]["display_name"] == "Experiment ID"
    assert fields["experiment_name"]["description"] == "Human name of the experiment."
    assert fields["started_on"]["base_type"] == "type/Date"
    metrics = {f["name"]: f for f in tables[("analytics", "variant_daily_metrics")]["fields"]}
    assert metrics["conversions"]["base_type"] == "type/Integer"
    assert metrics["cost_usd"]["base_type"] == "type/Decimal"
    assert metrics["experiment_id"]["fk_target_field_id"] == fields["experiment_id"]["id"]
    tables_api = api.ok("GET", "/api/table")
    assert all("details" in t["db"] for t in tables_api)


def test_sync_is_asynchronous_and_keeps_ids_and_edits(
    api: Api, double, mb_warehouse, monkeypatch
) -> None:
    # Phases long enough that a loaded CI machine still sees "incomplete" before "complete".
    monkeypatch.setattr(double, "sync_delay_seconds", 0.5)
    db_id = double.database_id
    before = api.ok("GET", f"/api/database/{db_id}/metadata")
    experiments = next(t for t in before["tables"] if t["name"] == "experiments")
    name_field = next(f for f in experiments["fields"] if f["name"] == "experiment_name")
    api.ok("PUT", f"/api/field/{name_field['id']}", {"description": "Edited in Metabase"})
    conn = connect(mb_warehouse)
    with conn.cursor() as cur:
        cur.execute("create table analytics.late_table (late_id integer, note text)")
        cur.execute("comment on column analytics.late_table.note is 'Arrives late.'")
    conn.close()
    api.ok("POST", f"/api/database/{db_id}/sync_schema")
    names = {t["name"] for t in api.ok("GET", f"/api/database/{db_id}/metadata")["tables"]}
    assert "late_table" not in names  # the sync has not run yet
    statuses: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        tables = api.ok("GET", f"/api/database/{db_id}/metadata")["tables"]
        late = next((t for t in tables if t["name"] == "late_table"), None)
        if late is not None:
            statuses.append(late["initial_sync_status"])
            if late["initial_sync_status"] == "complete":
                break
        time.sleep(0.01)
    assert statuses and statuses[-1] == "complete"
    assert statuses[0] == "incomplete"
    assert next(f for f in late["fields"] if f["name"] == "note")["description"] == "Arrives late."
    after = next(t for t in tables if t["name"] == "experiments")
    assert after["id"] == experiments["id"]
    kept = next(f for f in after["fields"] if f["name"] == "experiment_name")
    assert kept["id"] == name_field["id"] and kept["description"] == "Edited in Metabase"


def test_table_and_field_updates_and_field_order(api: Api, double) -> None:
    metadata = api.ok("GET", f"/api/database/{double.database_id}/metadata")
    table = next(t for t in metadata["tables"] if t["name"] == "variant_daily_metrics")
    ids = [f["id"] for f in table["fields"]]
    assert api.put(f"/api/table/{table['id']}/fields/order", {"order": ids}).status_code == 400
    assert api.put(f"/api/table/{table['id']}/fields/order", [*ids, 999999]).status_code == 400
    assert api.ok("PUT", f"/api/table/{table['id']}/fields/order", ids[::-1]) == {"success": True}
    reordered = api.ok("GET", f"/api/table/{table['id']}/query_metadata")
    assert reordered["field_order"] == "custom"
    assert [f["id"] for f in reordered["fields"]] == ids[::-1]
    updated = api.ok(
        "PUT", f"/api/table/{table['id']}", {"description": None, "visibility_type": None}
    )
    assert updated["description"] is None
    assert api.put(f"/api/table/{table['id']}", {"visibility_type": "gone"}).status_code == 400
    field = ids[0]
    assert api.put(f"/api/field/{field}", {"visibility_type": "secret"}).status_code == 400
    assert api.put(f"/api/field/{field}", {"has_field_values": "maybe"}).status_code == 400
    assert api.put(f"/api/field/{field}", {"semantic_type": "PK"}).status_code == 400
    changed = api.ok(
        "PUT", f"/api/field/{field}", {"semantic_type": "type/Category", "has_field_values": "list"}
    )
    assert changed["semantic_type"] == "type/Category"


@pytest.fixture(scope="module")
def metrics_card(double) -> dict:
    api = Api(double.url, {"X-API-KEY": double.api_key})
    date_field = field_id(api, double.database_id, "variant_daily_metrics", "metric_date")
    variant_field = field_id(api, double.database_id, "variant_daily_metrics", "variant_name")
    sql = (
        "select experiment_id, variant_name, metric_date, conversions, cost_usd\n"
        "from analytics.variant_daily_metrics\n"
        "where {{metric_date}} and {{variant}}\n"
        "[[and experiment_id = {{experiment}}]]\n"
        "[[and conversions >= {{min_conversions}}]]\n"
        "order by metric_date, variant_name"
    )
    tags = {
        "metric_date": {
            "id": "t1",
            "name": "metric_date",
            "display-name": "Date",
            "type": "dimension",
            "dimension": ["field", date_field, None],
            "widget-type": "date/all-options",
        },
        "variant": {
            "id": "t2",
            "name": "variant",
            "display-name": "Variant",
            "type": "dimension",
            "dimension": ["field", variant_field, None],
            "widget-type": "string/=",
        },
        "experiment": {
            "id": "t3",
            "name": "experiment",
            "display-name": "Experiment",
            "type": "text",
        },
        "min_conversions": {
            "id": "t4",
            "name": "min_conversions",
            "display-name": "Min conversions",
            "type": "number",
        },
    }
    body = native_card(double.database_id, name="Metrics by day")
    body["dataset_query"]["native"].update(query=sql, **{"template-tags": tags})
    return api.ok("POST", "/api/card", body)


def _run(api: Api, card: dict, **values) -> dict:
    kinds = {
        "metric_date": ("dimension", "date/all-options"),
        "variant": ("dimension", "string/="),
        "experiment": ("variable", "category"),
        "min_conversions": ("variable", "number/="),
    }
    parameters = [
        {"type": kinds[name][1], "target": [kinds[name][0], ["template-tag", name]], "value": value}
        for name, value in values.items()
    ]
    response = api.post(f"/api/card/{card['id']}/query", {"parameters": parameters})
    assert response.status_code == 202
    return response.json()


def test_query_without_values_drops_optional_clauses(api: Api, metrics_card: dict) -> None:
    result = _run(api, metrics_card)
    assert result["status"] == "completed", result.get("error")
    assert result["row_count"] == 5
    assert [c["name"] for c in result["data"]["cols"]][:2] == ["experiment_id", "variant_name"]
    assert result["data"]["rows"][0] == ["exp_a", "control", "2026-11-01", 10, 1.5]


def test_query_with_date_range_and_string_filter(api: Api, metrics_card: dict) -> None:
    result = _run(api, metrics_card, metric_date="2026-11-01~2026-11-20", variant=["control"])
    assert result["status"] == "completed", result.get("error")
    assert [(r[0], r[2]) for r in result["data"]["rows"]] == [
        ("exp_a", "2026-11-01"),
        ("exp_a", "2026-11-12"),
        ("exp_b", "2026-11-20"),
    ]


def test_query_with_raw_values_in_optional_clauses(api: Api, metrics_card: dict) -> None:
    result = _run(api, metrics_card, experiment="exp_b", min_conversions=6)
    assert result["status"] == "completed", result.get("error")
    assert [(r[1], r[3]) for r in result["data"]["rows"]] == [("treatment", 7)]
    assert "'exp_b'" in result["data"]["native_form"]["query"]


def test_relative_date_filter_runs_against_current_date(
    api: Api, metrics_card: dict, mb_warehouse
) -> None:
    result = _run(api, metrics_card, metric_date="past30days~")
    assert result["status"] == "completed", result.get("error")
    conn = connect(mb_warehouse)
    with conn.cursor() as cur:  # past30days~ = the last 30 days including today
        cur.execute(
            "select count(*) from analytics.variant_daily_metrics"
            " where metric_date between current_date - 30 and current_date"
        )
        expected = cur.fetchone()[0]
    conn.close()
    assert result["row_count"] == expected
    excluded = _run(api, metrics_card, metric_date="next5years")
    assert excluded["status"] == "completed" and excluded["row_count"] == 0


def test_query_errors_come_back_as_202_failed(api: Api, double, metrics_card: dict) -> None:
    bad_value = _run(api, metrics_card, min_conversions="many")
    assert bad_value["status"] == "failed" and "number" in bad_value["error"]
    broken = api.ok("POST", "/api/card", native_card(double.database_id, "select * from nowhere"))
    response = api.post(f"/api/card/{broken['id']}/query")
    assert response.status_code == 202
    assert response.json()["status"] == "failed" and "nowhere" in response.json()["error"]
    required = native_card(double.database_id, "select {{x}}")
    required["dataset_query"]["native"]["template-tags"] = {
        "x": {"name": "x", "display-name": "X", "type": "text"}
    }
    card = api.ok("POST", "/api/card", required)
    missing = api.post(f"/api/card/{card['id']}/query").json()
    assert missing["status"] == "failed" and "pick a value" in missing["error"]


def test_ad_hoc_dataset_query(api: Api, double) -> None:
    response = api.post(
        "/api/dataset",
        {
            "database": double.database_id,
            "type": "native",
            "native": {"query": "select count(*) as n from analytics.experiments"},
        },
    )
    assert response.status_code == 202
    assert response.json()["data"]["rows"] == [[2]]
