"""What the publisher needs from the dbt project: compiled analyses, models and exposures.

dbt compiles the card and alert SQL under analyses/ (so `ref()` resolves to the right schema)
into target/manifest.json; the dashboard exposures and their `meta.metabase.spec` come from the
same manifest.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiment_analytics.dbt import PROJECT_DIR, run_dbt
from experiment_analytics.metabase.errors import SpecError
from experiment_analytics.warehouse.connection import ConnectionSettings

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    schema: str
    alias: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisInfo:
    name: str
    path: str
    compiled_sql: str
    models: tuple[str, ...]


@dataclass(frozen=True)
class ExposureInfo:
    name: str
    label: str
    spec_path: Path | None
    url: str | None
    original_file_path: str
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class ProjectInfo:
    manifest_path: Path
    project_dir: Path
    models: dict[str, ModelInfo]
    analyses: dict[str, AnalysisInfo]
    dashboards: dict[str, ExposureInfo]
    # (schema, table) -> documented columns of every relation dbt builds or reads (models,
    # seeds, snapshots, sources): what Metabase must have synced before metadata is pushed.
    relations: dict[tuple[str, str], tuple[str, ...]]
    # the dbt adapter the analyses were compiled for (postgres, spark): the SQL's dialect
    adapter_type: str = "postgres"


def compile_analyses(
    settings: ConnectionSettings,
    target_path: Path | None = None,
    project_dir: Path = PROJECT_DIR,
    target: str | None = None,
) -> Path:
    """Run `dbt compile` for the analyses of the project in `project_dir` (for the dbt `target`,
    default the profile's: the card SQL is in that target's dialect); return the manifest."""
    run_dbt(
        ["compile", "--select", "resource_type:analysis", "--quiet"]
        + (["--target", target] if target else []),
        settings,
        project_dir=project_dir,
        target_path=target_path,
    )
    return (target_path or project_dir / "target") / "manifest.json"


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    meta = dict(node.get("meta") or {})
    meta.update((node.get("config") or {}).get("meta") or {})
    return meta


def load_project(manifest_path: Path, project_dir: Path = PROJECT_DIR) -> ProjectInfo:
    """Read models, compiled analyses and dashboard exposures from a dbt manifest."""
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError as exc:
        raise SpecError([f"{manifest_path}: no dbt manifest; run `dbt compile` first"]) from exc
    models: dict[str, ModelInfo] = {}
    relations: dict[tuple[str, str], tuple[str, ...]] = {}
    for source in manifest.get("sources", {}).values():
        relations[(source["schema"], source.get("identifier") or source["name"])] = tuple(
            source.get("columns", {})
        )
    analyses: dict[str, AnalysisInfo] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] in {"model", "seed", "snapshot"}:
            models[node["name"]] = ModelInfo(
                node["name"],
                node["schema"],
                node.get("alias") or node["name"],
                tuple(node.get("columns", {})),
            )
            if (node.get("config") or {}).get("materialized") != "ephemeral":
                relations[(node["schema"], node.get("alias") or node["name"])] = tuple(
                    node.get("columns", {})
                )
    for node in manifest["nodes"].values():
        if node["resource_type"] == "analysis":
            depends = tuple(
                manifest["nodes"][uid]["name"]
                for uid in node.get("depends_on", {}).get("nodes", [])
                if uid in manifest["nodes"]
            )
            analyses[node["name"]] = AnalysisInfo(
                node["name"],
                node["original_file_path"],
                (node.get("compiled_code") or "").strip().rstrip(";").strip(),
                depends,
            )
    dashboards: dict[str, ExposureInfo] = {}
    for exposure in manifest.get("exposures", {}).values():
        if exposure.get("type") != "dashboard":
            continue
        spec = (_meta(exposure).get("metabase") or {}).get("spec")
        dashboards[exposure["name"]] = ExposureInfo(
            exposure["name"],
            exposure.get("label") or exposure["name"],
            resolve_spec_path(spec, project_dir) if spec else None,
            exposure.get("url"),
            exposure["original_file_path"],
            tuple(uid.split(".")[-1] for uid in exposure.get("depends_on", {}).get("nodes", [])),
        )
    adapter_type = (manifest.get("metadata") or {}).get("adapter_type") or "postgres"
    return ProjectInfo(
        manifest_path, project_dir, models, analyses, dashboards, relations, adapter_type
    )


def resolve_spec_path(spec: str, project_dir: Path) -> Path:
    """A spec path is relative to the project root; a bare file name means metabase/dashboards/."""
    path = Path(spec)
    if path.is_absolute():
        return path
    if len(path.parts) == 1:
        return project_dir / "metabase" / "dashboards" / path
    return project_dir / path
