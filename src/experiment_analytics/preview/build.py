"""The preview run: validate the specs as the publisher does, run every card, write the pages.

Output (default `target/preview/`): `index.html`, `<dashboard>.html` and `<dashboard>.png` per
dashboard, `alerts.html`, and `preview.json` (dashboard name -> page, filter values used), which
the Metabase stand-in reads to serve `/dashboard/<id>`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase.run import PublishOptions, validate_only
from experiment_analytics.metabase.validate import Specs
from experiment_analytics.native_query import QueryError, compile_native
from experiment_analytics.preview import pages
from experiment_analytics.preview.browser import open_browser, screenshot_page
from experiment_analytics.preview.cards import (
    STATEMENT_TIMEOUT_MS,
    FieldColumns,
    PreviewError,
    compile_card,
    filter_values,
    run_query,
)
from experiment_analytics.preview.schedules import cron_in_words, schedule_in_words
from experiment_analytics.warehouse import ConnectionSettings, connect

_logger = logging.getLogger(__name__)

INDEX_FILE = "preview.json"
COMPILE_MODES = ("auto", "always", "never")
# What `dbt compile` reads: a file newer than the manifest means the card SQL may have changed.
PROJECT_INPUTS = (
    "analyses",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests",
    "dbt_project.yml",
    "profiles",
)
DBT_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".csv"})  # tests/python is not dbt's
SCREENSHOT_WIDTH = {"fixed": 1120, "full": 1440}


@dataclass
class PreviewOptions:
    # Read as Metabase would: the read-only role (README "Roles"), so a card the reader may not
    # see fails here too, and the preview never runs with more rights than the dashboards.
    warehouse: ConnectionSettings = field(default_factory=ConnectionSettings.reader_from_env)
    output_dir: Path = PROJECT_DIR / "target" / "preview"
    project_dir: Path = PROJECT_DIR
    target_dir: Path | None = None  # dbt's target folder (default <project>/target)
    compile: str = "auto"  # "auto": only when the manifest is stale; "always"; "never"
    filters: dict[str, str] = field(default_factory=dict)  # filter id -> value
    screenshots: bool = True
    screenshot_scale: float = 1.0
    pictures_dir: Path | None = None  # also copy each PNG here (the README's pictures)
    pictures_scale: float = 0.5


@dataclass
class PreviewResult:
    output_dir: Path
    pages: dict[str, Path]  # dashboard name -> page
    pngs: dict[str, Path]
    alerts_page: Path
    index_page: Path
    seconds: float


def channel_words(specs: Specs, keys: tuple[str, ...]) -> list[str]:
    words = []
    for key in keys:
        channel = specs.channels[key]  # ${VAR}s resolved and checked by validation
        if channel.type == "email":
            words.append(f"email to {', '.join(channel.values)}")
        else:
            words.append(f"Slack {', '.join(channel.values)}")
    return words


def stale_reason(target_dir: Path, project_dir: Path, database: str) -> str | None:
    """Why target/manifest.json cannot be reused for the card SQL; None when it can.

    Reusable when it holds every analysis compiled, is newer than every file dbt reads, and was
    compiled for the current schema and database (DBT_SCHEMA, PGDATABASE), the settings that
    change the compiled SQL. A manifest without compiled analyses (`dbt build`'s) is not.
    """
    manifest_path = target_dir / "manifest.json"
    if not manifest_path.exists():
        return f"no {manifest_path}"
    built = manifest_path.stat().st_mtime
    for name in PROJECT_INPUTS:
        root = project_dir / name
        files = [root] if root.is_file() else (root.rglob("*") if root.is_dir() else [])
        for path in files:
            if path.suffix not in DBT_SUFFIXES or "python" in path.relative_to(project_dir).parts:
                continue
            if path.is_file() and path.stat().st_mtime > built:
                return f"{path.relative_to(project_dir)} changed after the last compile"
    manifest = json.loads(manifest_path.read_text())
    nodes = manifest.get("nodes", {}).values()
    if any(n["resource_type"] == "analysis" and not n.get("compiled_code") for n in nodes):
        return "the manifest lacks compiled analyses"
    schema = os.environ.get("DBT_SCHEMA", "analytics")
    for node in nodes:
        default_schema = not (node.get("config") or {}).get("schema")
        if (
            node["resource_type"] == "model"
            and default_schema
            and (node["schema"] != schema or node["database"] != database)
        ):
            return "the manifest was compiled for another schema or database"
    return None


def _compile_first(options: PreviewOptions) -> bool:
    if options.compile not in COMPILE_MODES:
        raise PreviewError(f"compile must be one of {', '.join(COMPILE_MODES)}")
    if options.compile != "auto":
        return options.compile == "always"
    target = options.target_dir or options.project_dir / "target"
    reason = stale_reason(target, options.project_dir, options.warehouse.dbname)
    if reason is None:
        _logger.info(
            "card SQL from %s/manifest.json: compiled after the last change to the project "
            "(--compile always to recompile)",
            target,
        )
        return False
    _logger.info("compiling the card SQL: %s", reason)
    return True


def _check_filters(specs: Specs, requested: dict[str, str]) -> None:
    known = {f.id for spec in specs.dashboards for f in spec.filters}
    unknown = sorted(set(requested) - known)
    if unknown:
        raise PreviewError(
            f"no dashboard has a filter {', '.join(map(repr, unknown))}; "
            f"filters of the dashboards: {', '.join(sorted(known)) or 'none'}"
        )


def build_preview(options: PreviewOptions) -> PreviewResult:
    started = time.perf_counter()
    specs = validate_only(
        PublishOptions(
            metabase_url="",
            warehouse=options.warehouse,
            project_dir=options.project_dir,
            target_dir=options.target_dir,
            compile=_compile_first(options),
        )
    )
    _check_filters(specs, options.filters)
    out = options.output_dir
    out.mkdir(parents=True, exist_ok=True)
    fields = FieldColumns(specs.project)
    context = pages.PageContext(
        nav=[{"file": f"{s.dashboard}.html", "name": s.name} for s in specs.dashboards],
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        warehouse=options.warehouse.describe(),
    )
    conn = connect(options.warehouse)
    page_paths: dict[str, Path] = {}
    used_values: dict[str, dict[str, object]] = {}
    try:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cur:
            cur.execute(f"set statement_timeout = {STATEMENT_TIMEOUT_MS}")
        for number, spec in enumerate(specs.dashboards, start=1):
            values = filter_values(spec, options.filters)
            _logger.info(
                "dashboard %d/%d %s: %d cards (%s)",
                number,
                len(specs.dashboards),
                spec.dashboard,
                len(spec.cards),
                "; ".join(f"{v.name}: {v.describe()}" for v in values) or "no filters",
            )
            results = []
            for card in spec.cards:
                sql = specs.project.analyses[card.query].compiled_sql
                try:
                    compiled = compile_card(spec, card, sql, values, fields)
                except QueryError as exc:
                    raise PreviewError(f"{spec.dashboard}.{card.key}: {exc}") from exc
                result = run_query(conn, compiled, card)
                if result.error:
                    _logger.error("%s.%s: query failed: %s", spec.dashboard, card.key, result.error)
                results.append(result)
            file = f"{spec.dashboard}.html"
            page = out / file
            page.write_text(pages.dashboard_page(spec, results, values, context, file))
            page_paths[spec.dashboard] = page
            used_values[spec.dashboard] = {v.id: v.value for v in values if v.is_set}
        alert_views = []
        for alert in specs.config.alerts:
            sql = specs.project.analyses[alert.query].compiled_sql
            result = run_query(conn, compile_native(sql, {}, [], fields.column_of))
            alert_views.append(
                pages.alert_view(
                    alert,
                    result,
                    cron_in_words(alert.schedule),
                    channel_words(specs, alert.channels),
                )
            )
            _logger.info(
                "alert %s: %d rows now, %s",
                alert.key,
                len(result.rows),
                "would fire" if alert_views[-1].fires else "would not fire",
            )
    finally:
        conn.close()
    names = {s.dashboard: s.name for s in specs.dashboards}
    subscriptions = [
        pages.SubscriptionView(
            sub,
            names.get(sub.dashboard, sub.dashboard),
            f"{sub.dashboard}.html" if sub.dashboard in names else None,
            schedule_in_words(sub.schedule),
            channel_words(specs, sub.channels),
        )
        for sub in specs.config.subscriptions
    ]
    alerts_path = out / "alerts.html"
    alerts_path.write_text(pages.alerts_page(alert_views, subscriptions, context))
    pngs: dict[str, Path] = {}
    if options.screenshots:
        pngs = _screenshots(specs, page_paths, options)
    index_path = out / "index.html"
    index_path.write_text(
        pages.index_page(
            [
                {
                    "spec": spec,
                    "file": page_paths[spec.dashboard].name,
                    "png": pngs[spec.dashboard].name if spec.dashboard in pngs else None,
                }
                for spec in specs.dashboards
            ],
            context,
        )
    )
    (out / INDEX_FILE).write_text(
        json.dumps(
            {
                "generated_at": context.generated_at,
                "dashboards": {
                    spec.dashboard: {
                        "name": spec.name,
                        "page": page_paths[spec.dashboard].name,
                        "filters": used_values[spec.dashboard],
                    }
                    for spec in specs.dashboards
                },
            },
            indent=2,
        )
        + "\n"
    )
    seconds = time.perf_counter() - started
    _logger.info("preview written to %s/index.html in %.1f s", out, seconds)
    return PreviewResult(out, page_paths, pngs, alerts_path, index_path, seconds)


def _screenshots(
    specs: Specs, page_paths: dict[str, Path], options: PreviewOptions
) -> dict[str, Path]:
    pngs: dict[str, Path] = {}
    with open_browser() as driver:
        for spec in specs.dashboards:
            width = SCREENSHOT_WIDTH.get(spec.width, SCREENSHOT_WIDTH["fixed"])
            png = options.output_dir / f"{spec.dashboard}.png"
            screenshot_page(
                driver, page_paths[spec.dashboard], png, width, options.screenshot_scale
            )
            pngs[spec.dashboard] = png
            if options.pictures_dir is not None:
                picture = options.pictures_dir / png.name
                screenshot_page(
                    driver, page_paths[spec.dashboard], picture, width, options.pictures_scale
                )
            _logger.info("screenshot %s", png)
    return pngs
