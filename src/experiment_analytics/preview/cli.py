"""`experiment-analytics preview`: render every dashboard, alert and schedule without a Metabase."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.preview.cards import PreviewError


def _filter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected FILTER_ID=VALUE, got {text!r}")
    return name, value


def register(commands) -> None:
    parser = commands.add_parser(
        "preview",
        help="render every dashboard, alert and schedule as static HTML + PNG (no Metabase)",
        description=(
            "Render each dashboard of metabase/dashboards/ from the dbt-compiled card SQL, run on "
            "the warehouse as Metabase's read-only role (WAREHOUSE_READER_USER/_PASSWORD; unset: "
            "the embedded server's analytics_reader; without its password: the PG* settings) "
            "with filter values substituted as Metabase does; "
            "filters not given use the dashboard's default. Writes OUTPUT_DIR/index.html."
        ),
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=PROJECT_DIR / "target" / "preview",
        help="where the pages go (default: %(default)s)",
    )
    parser.add_argument(
        "--experiment", help="value of each dashboard's 'experiment' filter (an experiment name)"
    )
    parser.add_argument(
        "--date-range",
        help=(
            "value of the 'date_range' filter in Metabase's syntax: 2026-01-01~2026-01-31, "
            "2026-01-01~, ~2026-01-31, past30days, thisweek, ..."
        ),
    )
    parser.add_argument(
        "--filter",
        action="append",
        type=_filter,
        default=[],
        metavar="ID=VALUE",
        help="any dashboard filter by its id in the spec (repeatable)",
    )
    parser.add_argument(
        "--target-path",
        type=Path,
        default=Path(os.environ["DBT_TARGET_PATH"]) if os.environ.get("DBT_TARGET_PATH") else None,
        help="dbt's target folder with the manifest (env DBT_TARGET_PATH; default: target)",
    )
    parser.add_argument(
        "--compile",
        choices=("auto", "always", "never"),
        default="auto",
        help=(
            "run `dbt compile` for the card SQL first: auto (default) when target/manifest.json "
            "is older than a project file or lacks the analyses, always, or never"
        ),
    )
    parser.add_argument("--no-png", action="store_true", help="skip the PNGs (no browser needed)")
    parser.add_argument(
        "--pictures-dir",
        type=Path,
        help="also write a small PNG of each dashboard here (the README's pictures)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from experiment_analytics.preview.build import PreviewOptions, build_preview

    filters = dict(args.filter)
    for name, value in (("experiment", args.experiment), ("date_range", args.date_range)):
        if value is not None:
            if name in filters and filters[name] != value:
                raise PreviewError(f"filter {name!r} given twice with different values")
            filters[name] = value
    result = build_preview(
        PreviewOptions(
            output_dir=args.output_dir,
            compile=args.compile,
            target_dir=args.target_path,
            filters=filters,
            screenshots=not args.no_png,
            pictures_dir=args.pictures_dir,
        )
    )
    print(f"Preview: {result.index_page} ({len(result.pages)} dashboards, {result.seconds:.1f} s)")
    for name, page in result.pages.items():
        print(f"  {name}: {page}")
    print(f"  alerts and schedules: {result.alerts_page}")
