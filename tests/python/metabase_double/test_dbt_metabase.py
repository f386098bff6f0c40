"""dbt-metabase 1.7 runs against the double: `export_models` with a manifest from `dbt parse`
on a tiny temporary dbt project (never the main project's target/)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import dbtmetabase._models
import pytest
import yaml
from dbtmetabase import DbtMetabase

from experiment_analytics.dbt import run_dbt
from experiment_analytics.metabase_double import MetabaseDouble
from experiment_analytics.warehouse import ConnectionSettings, connect
from metabase_double.conftest import Api

PROJECT = {
    "dbt_project.yml": """
        name: mb_double_probe
        version: "1.0.0"
        profile: mb_double_probe
    """,
    "profiles.yml": """
        mb_double_probe:
          target: dev
          outputs:
            dev:
              type: postgres
              host: "{{ env_var('PGHOST') }}"
              port: "{{ env_var('PGPORT') | int }}"
              user: "{{ env_var('PGUSER') }}"
              password: "{{ env_var('PGPASSWORD') }}"
              dbname: "{{ env_var('PGDATABASE') }}"
              schema: marts
              threads: 1
    """,
    "models/experiment_summaries.sql": "select 1 as experiment_id, 'a' as experiment_name\n",
    "models/_models.yml": """
        version: 2
        models:
          - name: experiment_summaries
            description: One row per experiment, summarised.
            columns:
              - name: experiment_id
                description: The experiment key.
                meta:
                  metabase.semantic_type: type/PK
              - name: experiment_name
                description: Human name of the experiment.
                meta:
                  metabase.display_name: Experiment
    """,
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory, new_database) -> tuple[Path, ConnectionSettings]:
    settings = new_database("mb_dbt")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "create schema marts; create table marts.experiment_summaries "
            "(experiment_id integer, experiment_name text)"
        )
    conn.close()
    project = tmp_path_factory.mktemp("dbt_probe")
    for name, text in PROJECT.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    run_dbt(
        ["parse"],
        settings,
        project_dir=project,
        target_path=project / "target",
        extra_env={"DBT_PROFILES_DIR": str(project)},
    )
    return project / "target" / "manifest.json", settings


@pytest.mark.slow
def test_export_models_against_the_double(manifest, monkeypatch) -> None:
    manifest_path, settings = manifest
    monkeypatch.setattr(dbtmetabase._models, "_SYNC_PERIOD", 0.1)  # it polls every 5 s
    with MetabaseDouble(
        warehouse=settings, database_name="Warehouse", sync_delay_seconds=0.05
    ) as double:
        DbtMetabase(
            manifest_path=manifest_path,
            metabase_url=double.url,
            metabase_username=double.admin_email,
            metabase_password=double.admin_password,
        ).export_models(metabase_database="Warehouse", sync_timeout=10)
        writes = [(r.method, r.path) for r in double.write_requests()]
        assert ("POST", f"/api/database/{double.database_id}/sync_schema") in writes
        metadata = double.state.databases[double.database_id]
        assert metadata["name"] == "Warehouse"
        table = next(t for t in double.state.tables.values() if t["name"] == "experiment_summaries")
        assert table["description"] == "One row per experiment, summarised."
        fields = {
            f["name"]: f for f in double.state.fields.values() if f["table_id"] == table["id"]
        }
        assert fields["experiment_id"]["semantic_type"] == "type/PK"
        assert fields["experiment_id"]["description"] == "The experiment key."
        assert fields["experiment_name"]["display_name"] == "Experiment"
        assert ("PUT", f"/api/table/{table['id']}") in writes
        # A second export finds everything up to date: no more table/field writes.
        double.clear_requests()
        DbtMetabase(
            manifest_path=manifest_path, metabase_url=double.url, metabase_api_key=double.api_key
        ).export_models(metabase_database="Warehouse", sync_timeout=10)
        assert [r.path for r in double.write_requests()] == [
            f"/api/database/{double.database_id}/sync_schema"
        ]


@pytest.mark.slow
def test_export_exposures_against_the_double(manifest, tmp_path) -> None:
    manifest_path, settings = manifest
    with MetabaseDouble(warehouse=settings, database_name="Warehouse") as double:
        api = Api(double.url, {"X-API-KEY": double.api_key})
        collection = api.ok("POST", "/api/collection", {"name": "Experiment dashboards"})
        card = api.ok(
            "POST",
            "/api/card",
            {
                "name": "Experiment list",
                "display": "table",
                "visualization_settings": {},
                "collection_id": collection["id"],
                "dataset_query": {
                    "database": double.database_id,
                    "type": "native",
                    "native": {"query": "select * from marts.experiment_summaries"},
                },
            },
        )
        dashboard = api.ok(
            "POST",
            "/api/dashboard",
            {"name": "Experiments overview", "collection_id": collection["id"]},
        )
        api.ok(
            "PUT",
            f"/api/dashboard/{dashboard['id']}",
            {
                "dashcards": [
                    {"id": -1, "card_id": card["id"], "row": 0, "col": 0, "size_x": 12, "size_y": 6}
                ]
            },
        )
        DbtMetabase(
            manifest_path=manifest_path, metabase_url=double.url, metabase_api_key=double.api_key
        ).extract_exposures(output_path=str(tmp_path), output_grouping=None)
    exposures = yaml.safe_load((tmp_path / "exposures.yml").read_text())["exposures"]
    by_label = {e["label"]: e for e in exposures}
    assert set(by_label) == {"Experiment list", "Experiments overview"}
    for exposure in by_label.values():
        assert exposure["depends_on"] == ["ref('experiment_summaries')"]
        assert exposure["owner"]["email"] == double.admin_email
