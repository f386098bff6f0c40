"""Command line of the publisher (`python scripts/publish_metabase.py --help`).

Every option also reads an environment variable (dbt-metabase's names where they exist); secrets
(API key, password) come only from the environment. Exit codes: 0 done / nothing to do,
2 `--plan` found pending changes, 1 error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.metabase.run import PublishOptions, publish, validate_only
from experiment_analytics.warehouse.connection import ConnectionSettings

EXIT_OK, EXIT_ERROR, EXIT_PENDING = 0, 1, 2


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes"}


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="publish_metabase",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--metabase-url", default=env("METABASE_URL"), help="Metabase URL (env METABASE_URL)"
    )
    parser.add_argument(
        "--metabase-username",
        default=env("METABASE_USERNAME"),
        help="user for password login (env METABASE_USERNAME; the password "
        "only from METABASE_PASSWORD; METABASE_API_KEY is preferred)",
    )
    parser.add_argument(
        "--metabase-database",
        default=env("METABASE_DATABASE", "Experiments"),
        help="the warehouse's name in Metabase (env METABASE_DATABASE)",
    )
    parser.add_argument(
        "--managed-collection",
        default=env("METABASE_MANAGED_COLLECTION"),
        help="root collection owned by the publisher (env "
        "METABASE_MANAGED_COLLECTION; default from metabase/publisher.yml)",
    )
    parser.add_argument(
        "--add-database",
        action="store_true",
        default=_flag("METABASE_ADD_DATABASE"),
        help="add the warehouse to Metabase if missing, connecting as the read-only role "
        "(PG* host/port/database; WAREHOUSE_READER_USER/PASSWORD, default the embedded "
        "server's analytics_reader) (env METABASE_ADD_DATABASE=1)",
    )
    parser.add_argument(
        "--plan",
        action="store_true",
        default=_flag("METABASE_PLAN"),
        help="print what would change, write nothing; exit 2 if changes pending",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        default=_flag("METABASE_PRUNE"),
        help="archive managed objects no longer in the code (env METABASE_PRUNE)",
    )
    parser.add_argument(
        "--validate-only",
        action="store_true",
        help="compile and validate the configuration; no Metabase needed",
    )
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="use the existing target/manifest.json instead of `dbt compile`",
    )
    parser.add_argument(
        "--skip-model-metadata",
        action="store_true",
        help="do not push model/column metadata with dbt-metabase",
    )
    parser.add_argument(
        "--write-exposure-urls",
        action="store_true",
        default=_flag("METABASE_WRITE_EXPOSURE_URLS"),
        help="write each dashboard's URL into its dbt exposure's `url`",
    )
    parser.add_argument(
        "--sync-timeout",
        type=float,
        default=float(env("METABASE_SYNC_TIMEOUT", "300")),
        help="seconds to wait for Metabase's schema sync (env METABASE_SYNC_TIMEOUT)",
    )
    parser.add_argument(
        "--http-timeout",
        type=float,
        default=float(env("METABASE_HTTP_TIMEOUT", "30")),
        help="seconds per HTTP request (env METABASE_HTTP_TIMEOUT)",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path(env("DBT_PROJECT_DIR") or PROJECT_DIR),
        help="the dbt project (env DBT_PROJECT_DIR; default: this repository)",
    )
    parser.add_argument(
        "--target-path",
        type=Path,
        default=Path(env("DBT_TARGET_PATH")) if env("DBT_TARGET_PATH") else None,
        help="dbt's target folder: manifest and summary JSON (env DBT_TARGET_PATH; "
        "default <project>/target)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    options = PublishOptions(
        metabase_url=args.metabase_url or "",
        metabase_api_key=os.environ.get("METABASE_API_KEY") or None,
        metabase_username=args.metabase_username,
        metabase_password=os.environ.get("METABASE_PASSWORD") or None,
        metabase_database=args.metabase_database,
        warehouse=ConnectionSettings.reader_from_env(),
        project_dir=args.project_dir,
        target_dir=args.target_path,
        managed_collection=args.managed_collection,
        plan=args.plan,
        prune=args.prune,
        add_database=args.add_database,
        compile=not args.no_compile,
        push_model_metadata=not args.skip_model_metadata,
        write_exposure_urls=args.write_exposure_urls,
        sync_timeout=args.sync_timeout,
        http_timeout=args.http_timeout,
    )
    try:
        if args.validate_only:
            specs = validate_only(options)
            print(f"configuration valid: {len(specs.dashboards)} dashboards")
            return EXIT_OK
        summary = publish(options)
    except ExperimentAnalyticsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(summary.render())
    return EXIT_PENDING if options.plan and summary.pending else EXIT_OK
