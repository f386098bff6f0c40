"""The publisher's options and refusals, through the real `publish()` / CLI path (double only):
invalid specs, unsupported versions, a missing database and `--add-database`, password login
and API key without leaking secrets, `--write-exposure-urls` on a copy of the project, and
model metadata pushed by dbt-metabase.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase import (
    PublisherError,
    PublishOptions,
    SpecError,
    UnsupportedVersionError,
    cli,
    publish,
)
from experiment_analytics.metabase.project import load_project
from experiment_analytics.metabase_double import Fault

from .conftest import DOUBLE_ONLY, Api, copy_project, data, fresh_double

pytestmark = [DOUBLE_ONLY, pytest.mark.slow]

OVERVIEW = "metabase/dashboards/experiment_overview.yml"


def options(double, warehouse, target: Path, **overrides: Any) -> PublishOptions:
    values: dict[str, Any] = dict(
        metabase_url=double.url,
        metabase_api_key=double.api_key,
        warehouse=warehouse,
        target_dir=target,
        compile=False,
        sync_timeout=30,
    )
    values.update(overrides)
    return PublishOptions(**values)


def edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    content = yaml.safe_load(path.read_text())
    change(content)
    path.write_text(yaml.safe_dump(content, sort_keys=False))


def _overlap(spec: dict) -> None:
    spec["cards"][1]["position"] = dict(spec["cards"][0]["position"])


def _missing_column(spec: dict) -> None:
    spec["cards"][0]["columns"].append("no_such_column")


def _tag_missing(spec: dict) -> None:
    spec["filters"] = [
        {
            "id": "experiment",
            "name": "Experiment",
            "type": "string/=",
            "field": {"model": "experiments", "column": "experiment_name"},
        }
    ]
    spec["cards"][0]["filters"] = {
        "experiment": {
            "tag": "experiment",
            "field": {"model": "experiments", "column": "experiment_name"},
        }
    }


def _unknown_model(spec: dict) -> None:
    _tag_missing(spec)
    spec["filters"][0]["field"]["model"] = "no_such_model"


def _unknown_query(spec: dict) -> None:
    spec["cards"][2]["query"] = "no_such_analysis"


INVALID = {
    "overlap": (_overlap, "card active_experiment_count: overlaps card experiments_table"),
    "missing column": (_missing_column, "card active_experiment_count: query"),
    "tag missing": (
        _tag_missing,
        "card active_experiment_count: filter 'experiment' is mapped to tag 'experiment', "
        "but the card's query",
    ),
    "unknown model": (_unknown_model, "filter experiment: unknown model 'no_such_model'"),
    "unknown query": (
        _unknown_query,
        "card assignments_by_experiment: unknown query 'no_such_analysis'",
    ),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_spec_is_refused_before_any_request(
    case, demo_settings, compiled_target, tmp_path
) -> None:
    change, expected = INVALID[case]
    project = copy_project(tmp_path / "project")
    edit_yaml(project / OVERVIEW, change)
    with fresh_double(demo_settings) as double:
        with pytest.raises(SpecError) as caught:
            publish(options(double, demo_settings, compiled_target, project_dir=project))
        assert double.requests == [] and double.write_requests() == []
    message = str(caught.value)
    where = f"{project / OVERVIEW} (dashboard experiment_overview)"
    assert any(p.startswith(where) and expected in p for p in caught.value.problems), message
    if case == "missing column":
        assert "(missing: ['no_such_column']" in message


@pytest.mark.parametrize("version", ["v0.53.0", "v0.62.0"])
def test_unsupported_version_is_refused_with_zero_writes(
    version, demo_settings, compiled_target
) -> None:
    with fresh_double(demo_settings, version=version) as double:
        with pytest.raises(UnsupportedVersionError) as caught:
            publish(options(double, demo_settings, compiled_target))
        assert double.write_requests() == []
    assert f"Metabase {version} is not supported" in str(caught.value)
    assert "0.54 through 0.61" in str(caught.value)


def test_missing_database_without_add_database_is_a_clear_error(
    demo_settings, compiled_target
) -> None:
    with fresh_double(None) as double:
        with pytest.raises(
            PublisherError, match=r"no database named 'Experiments'.*--add-database"
        ):
            publish(options(double, demo_settings, compiled_target))
        assert double.write_requests() == []


def test_add_database_from_pg_settings(demo_settings, compiled_target) -> None:
    with fresh_double(None) as double:
        summary = publish(
            options(
                double, demo_settings, compiled_target, add_database=True, push_model_metadata=False
            )
        )
        assert ("database", "Experiments", "created") in [
            (c.kind, c.key, c.action) for c in summary.changes
        ]
        api = Api(double.url, {"X-API-KEY": double.api_key})
        databases = [db for db in data(api.get("/api/database")) if db["name"] == "Experiments"]
        assert len(databases) == 1
        details = databases[0]["details"]
        assert (details["host"], int(details["port"]), details["dbname"]) == (
            demo_settings.host,
            demo_settings.port,
            demo_settings.dbname,
        )
        assert len(summary.dashboard_urls) == 5
        double.clear_requests()
        again = publish(
            options(
                double, demo_settings, compiled_target, add_database=True, push_model_metadata=False
            )
        )
        assert double.write_requests() == [] and not again.pending


@pytest.fixture(scope="module")
def secret_double(demo_settings):
    with fresh_double(
        demo_settings, api_key="mb_key_Z9secretXq", admin_password="pw-Z9secretXq-login"
    ) as double:
        yield double


def _cli_env(monkeypatch, double, warehouse) -> None:
    monkeypatch.setenv("METABASE_URL", double.url)
    for name, value in warehouse.as_env().items():
        monkeypatch.setenv(name, value)


def test_password_login_and_api_key_never_leak(
    secret_double, demo_settings, compiled_target, monkeypatch, capsys, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    _cli_env(monkeypatch, secret_double, demo_settings)
    monkeypatch.delenv("METABASE_API_KEY", raising=False)
    monkeypatch.setenv("METABASE_USERNAME", secret_double.admin_email)
    monkeypatch.setenv("METABASE_PASSWORD", secret_double.admin_password)
    target = ["--no-compile", "--target-path", str(compiled_target), "-v"]
    assert cli.main(target) == 0
    logins = [r for r in secret_double.requests if r.path == "/api/session" and r.method == "POST"]
    assert len(logins) == 1 and logins[0].status == 200
    tokens = list(secret_double.state.sessions)
    monkeypatch.delenv("METABASE_USERNAME")
    monkeypatch.delenv("METABASE_PASSWORD")
    monkeypatch.setenv("METABASE_API_KEY", secret_double.api_key)
    assert cli.main(target) == 0
    # a failing run too: Metabase's error goes into the message, the key must not
    secret_double.inject(Fault(method="GET", path=r"^/api/database$", status=400))
    assert cli.main(target) == 1
    captured = capsys.readouterr()
    output = captured.out + captured.err + caplog.text
    output += (compiled_target / "metabase_publish_summary.json").read_text()
    assert "list databases: Metabase answered 400 to GET /api/database" in output
    for secret in [secret_double.api_key, secret_double.admin_password, *tokens]:
        assert secret not in output


def test_write_exposure_urls_on_a_copy(
    secret_double, demo_settings, compiled_target, tmp_path
) -> None:
    repo_file = PROJECT_DIR / "models/marts/_exposures.yml"
    before = hashlib.sha256(repo_file.read_bytes()).hexdigest()
    project = copy_project(tmp_path / "project")
    summary = publish(
        options(
            secret_double,
            demo_settings,
            compiled_target,
            project_dir=project,
            write_exposure_urls=True,
        )
    )
    assert hashlib.sha256(repo_file.read_bytes()).hexdigest() == before
    exposures = yaml.safe_load((project / "models/marts/_exposures.yml").read_text())["exposures"]
    urls = {e["name"]: e.get("url") for e in exposures if e.get("type") == "dashboard"}
    assert urls == summary.dashboard_urls and len(urls) == 5
    assert all(url.startswith(f"{secret_double.url}/dashboard/") for url in urls.values())


def test_model_metadata_reaches_metabase(secret_double, demo_settings, compiled_target) -> None:
    project = load_project(compiled_target / "manifest.json")
    manifest_node = next(
        n
        for n in __import__("json")
        .loads((compiled_target / "manifest.json").read_text())["nodes"]
        .values()
        if n["resource_type"] == "model" and n["name"] == "experiments"
    )
    model_description = manifest_node["description"].strip()
    column_description = manifest_node["columns"]["experiment_name"]["description"].strip()
    assert model_description and column_description
    info = project.models["experiments"]
    api = Api(secret_double.url, {"X-API-KEY": secret_double.api_key})
    metadata = api.get(f"/api/database/{secret_double.database_id}/metadata")
    table = next(
        t for t in metadata["tables"] if (t["schema"], t["name"]) == (info.schema, info.alias)
    )
    field = next(f for f in table["fields"] if f["name"] == "experiment_name")
    # Make Metabase's copy stale, so only dbt-metabase can bring the dbt YAML back.
    api.ok("PUT", f"/api/table/{table['id']}", {"description": "stale"})
    api.ok("PUT", f"/api/field/{field['id']}", {"description": "stale"})
    secret_double.clear_requests()
    summary = publish(options(secret_double, demo_settings, compiled_target))
    # dbt-metabase's per-field lines are summarised in one line (quiet unless -v)
    (line,) = [n for n in summary.notes if n.startswith("model metadata (dbt-metabase):")]
    assert "tables up to date, 1 updated" in line and "fields up to date, 1 updated" in line
    writes = sorted((w.method, w.path) for w in secret_double.write_requests())
    assert writes == sorted(
        [("PUT", f"/api/table/{table['id']}"), ("PUT", f"/api/field/{field['id']}")]
    )
    assert api.get(f"/api/table/{table['id']}")["description"] == model_description
    assert api.get(f"/api/field/{field['id']}")["description"] == column_description
    secret_double.clear_requests()
    publish(options(secret_double, demo_settings, compiled_target))
    assert secret_double.write_requests() == []


def test_plan_through_the_script_exit_codes(
    secret_double, demo_settings, compiled_target, tmp_path
) -> None:
    """`python scripts/publish_metabase.py --plan`: 0 when nothing is pending, 2 when a change
    is, and never a write."""
    import os
    import subprocess
    import sys

    publish(options(secret_double, demo_settings, compiled_target))  # converged first
    project = copy_project(tmp_path / "project")
    env = {
        **os.environ,
        **demo_settings.as_env(),
        "METABASE_URL": secret_double.url,
        "METABASE_API_KEY": secret_double.api_key,
    }
    env.pop("METABASE_USERNAME", None)
    command = [
        sys.executable,
        str(PROJECT_DIR / "scripts" / "publish_metabase.py"),
        "--plan",
        "--no-compile",
        "--target-path",
        str(compiled_target),
        "--project-dir",
        str(project),
    ]
    secret_double.clear_requests()
    clean = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr[-2000:]
    edit_yaml(project / OVERVIEW, lambda spec: spec.update(description="Edited description."))
    pending = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert pending.returncode == 2, pending.stderr[-2000:]
    assert "~ dashboard experiment_overview (updated)" in pending.stdout
    assert "description: " in pending.stdout and "-> 'Edited description.'" in pending.stdout
    assert secret_double.write_requests() == []
    assert (
        secret_double.api_key not in clean.stdout + clean.stderr + pending.stdout + pending.stderr
    )
