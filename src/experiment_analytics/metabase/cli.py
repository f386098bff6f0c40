"""Command line of the publisher (`python scripts/publish_metabase.py --help`).

Every option also reads an environment variable, dbt-metabase's names where it has the option
(MANIFEST_PATH, HTTP_TIMEOUT, CERT, SKIP_VERIFY, --http-header). Secrets (API key, password)
come only from the environment: a value on the command line is visible to every user of the
machine (`ps`) and lands in shell history and CI logs, so `--metabase-password` and
`--metabase-api-key` exist only to say so. Exit codes: 0 done / nothing to do, 2 `--plan` found
pending changes, 1 error.
"""

from __future__ import annotations

import argparse
import json
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


def configure_logging(verbose: bool) -> None:
    """Quiet by default: one line per step and warnings, on stderr. `-v`: every object,
    dbt-metabase's per-field lines, timestamps and logger names."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_publisher", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._publisher = True  # type: ignore[attr-defined]
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s" if verbose else "%(message)s"
        )
    )
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("experiment_analytics").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("urllib3").setLevel(logging.WARNING)


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
        "--target",
        default=env("DBT_TARGET"),
        help="the dbt target the card SQL is compiled for (env DBT_TARGET; default the "
        "profile's): its adapter decides the engine the Metabase database must have (postgres; "
        "spark: sparksql or databricks)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[n for n in env("METABASE_EXCLUDE", "").split(",") if n.strip()],
        metavar="NAME",
        help="a dashboard, Metabase model or alert (its key) to leave out of this publish, as "
        "if it were not in the code; repeatable (env METABASE_EXCLUDE, comma-separated)",
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
        default=float(env("HTTP_TIMEOUT") or env("METABASE_HTTP_TIMEOUT") or "30"),
        help="seconds per HTTP request (env HTTP_TIMEOUT, as dbt-metabase; "
        "METABASE_HTTP_TIMEOUT also read)",
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
    parser.add_argument(
        "--manifest-path",
        type=Path,
        default=Path(env("MANIFEST_PATH")) if env("MANIFEST_PATH") else None,
        help="a dbt manifest with the compiled analyses; skips `dbt compile` (env MANIFEST_PATH)",
    )
    parser.add_argument(
        "--http-header",
        nargs=2,
        action="append",
        metavar=("KEY", "VALUE"),
        default=[],
        help="extra HTTP header for every request, e.g. for a proxy (repeatable)",
    )
    parser.add_argument(
        "--cert",
        default=env("CERT"),
        help="TLS certificate bundle to verify Metabase with (env CERT)",
    )
    parser.add_argument(
        "--skip-verify",
        action="store_true",
        default=_flag("SKIP_VERIFY"),
        help="do not verify Metabase's TLS certificate (not recommended; env SKIP_VERIFY)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary (with --plan: the plan) as JSON on stdout",
    )
    for secret, variable in (
        ("--metabase-password", "METABASE_PASSWORD"),
        ("--metabase-api-key", "METABASE_API_KEY"),
    ):
        parser.add_argument(secret, action=_SecretFlag, variable=variable, help=argparse.SUPPRESS)
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="every object and dbt-metabase's per-field lines, with timestamps",
    )
    return parser


class _SecretFlag(argparse.Action):
    """A secret given as a flag: refuse, and say where it goes instead."""

    def __init__(self, *args, variable: str, **kwargs) -> None:
        self.variable = variable
        super().__init__(*args, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error(
            f"{option_string} is not accepted: secrets come only from the environment "
            f"(set {self.variable}). A value on the command line is visible to every user of "
            "the machine (ps) and ends up in shell history and CI logs."
        )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    options = PublishOptions(
        metabase_url=args.metabase_url or "",
        metabase_api_key=os.environ.get("METABASE_API_KEY") or None,
        metabase_username=args.metabase_username,
        metabase_password=os.environ.get("METABASE_PASSWORD") or None,
        metabase_database=args.metabase_database,
        warehouse=ConnectionSettings.reader_from_env(),
        project_dir=args.project_dir,
        target_dir=args.target_path,
        target=args.target,
        exclude=tuple(name.strip() for name in args.exclude),
        managed_collection=args.managed_collection,
        plan=args.plan,
        prune=args.prune,
        add_database=args.add_database,
        compile=not args.no_compile,
        push_model_metadata=not args.skip_model_metadata,
        write_exposure_urls=args.write_exposure_urls,
        sync_timeout=args.sync_timeout,
        http_timeout=args.http_timeout,
        manifest_path=args.manifest_path,
        http_headers=dict(args.http_header),
        verify=False if args.skip_verify else (args.cert or True),
        verbose=args.verbose,
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
    if args.json:
        print(json.dumps(summary.to_json(), indent=2, sort_keys=True, default=str))
    else:
        print(summary.render())
    return EXIT_PENDING if options.plan and summary.pending else EXIT_OK
