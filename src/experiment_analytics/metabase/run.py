"""The publisher's public entry: compile, validate, then publish (or plan)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase.client import MetabaseClient
from experiment_analytics.metabase.exclude import apply_exclusions
from experiment_analytics.metabase.exposures import snippet, write_exposure_urls
from experiment_analytics.metabase.orchestrator import Publisher, PublishSettings
from experiment_analytics.metabase.project import compile_analyses, load_project
from experiment_analytics.metabase.spec import parse_publisher
from experiment_analytics.metabase.summary import Summary
from experiment_analytics.metabase.validate import Specs, load_specs
from experiment_analytics.warehouse.connection import ConnectionSettings

_logger = logging.getLogger(__name__)

SUMMARY_FILE = "metabase_publish_summary.json"


@dataclass
class PublishOptions:
    metabase_url: str
    metabase_api_key: str | None = None
    metabase_username: str | None = None
    metabase_password: str | None = None
    metabase_database: str = "Experiments"
    warehouse: ConnectionSettings = field(default_factory=ConnectionSettings.from_env)
    project_dir: Path = PROJECT_DIR
    # the dbt target the card SQL is compiled for (None: the profile's default); its adapter
    # decides the Metabase engine the database must have (postgres; sparksql or databricks)
    target: str | None = None
    # dashboards, Metabase models or alerts (names/keys) left out of this publish
    exclude: tuple[str, ...] = ()
    target_dir: Path | None = None  # default <project>/target
    managed_collection: str | None = None
    plan: bool = False
    prune: bool = False
    add_database: bool = False
    compile: bool = True  # run `dbt compile` for the analyses first
    push_model_metadata: bool = True
    write_exposure_urls: bool = False
    sync_timeout: float = 300.0
    http_timeout: float = 30.0
    manifest_path: Path | None = None  # a compiled manifest to use instead of `dbt compile`
    http_headers: dict[str, str] = field(default_factory=dict)
    verify: bool | str = True  # False = --skip-verify, a path = --cert
    verbose: bool = False


def validate_only(options: PublishOptions) -> Specs:
    """Compile the analyses and validate the whole configuration; no Metabase needed."""
    target = options.target_dir or options.project_dir / "target"
    manifest = options.manifest_path or target / "manifest.json"
    if options.compile and options.manifest_path is None:
        manifest = compile_analyses(
            options.warehouse, target, options.project_dir, target=options.target
        )
    project = load_project(manifest, options.project_dir)
    config = parse_publisher(
        options.project_dir / "metabase" / "publisher.yml",
        managed_collection=options.managed_collection,
    )
    config, project, excluded = apply_exclusions(config, project, options.exclude)
    for note in excluded:
        _logger.warning(note)
    specs = load_specs(config, project, options.warehouse)
    specs = dataclasses.replace(specs, warnings=(*specs.warnings, *excluded))
    _logger.info(
        "configuration valid: %d dashboards, %d cards",
        len(specs.dashboards),
        sum(len(d.cards) for d in specs.dashboards),
    )
    return specs


def publish(options: PublishOptions) -> Summary:
    """Validate everything, then make Metabase match it (with `plan`, only report)."""
    specs = validate_only(options)
    client = MetabaseClient(
        options.metabase_url,
        api_key=options.metabase_api_key,
        username=options.metabase_username,
        password=options.metabase_password,
        timeout=options.http_timeout,
        headers=options.http_headers,
        verify=options.verify,
    )
    login_writes = client.stats.writes
    settings = PublishSettings(
        database_name=options.metabase_database,
        warehouse=options.warehouse,
        plan=options.plan,
        prune=options.prune,
        add_database=options.add_database,
        sync_timeout=options.sync_timeout,
        push_model_metadata=options.push_model_metadata,
        api_key=options.metabase_api_key,
        verbose=options.verbose,
    )
    publisher = Publisher(client, specs, settings)
    publisher.summary.notes.extend(f"warning: {warning}" for warning in specs.warnings)
    try:
        summary = publisher.run()
    finally:
        publisher.summary.requests = client.stats.total
        publisher.summary.write_requests = client.stats.writes - login_writes
        target = options.target_dir or options.project_dir / "target"
        publisher.summary.write(target / SUMMARY_FILE)
    if summary.dashboard_urls and not options.plan:
        if options.write_exposure_urls:
            write_exposure_urls(
                options.project_dir, specs.project.dashboards, summary.dashboard_urls
            )
        else:
            summary.notes.append(
                "exposure urls (or pass --write-exposure-urls):\n" + snippet(summary.dashboard_urls)
            )
    return summary
