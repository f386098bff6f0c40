"""`experiment-analytics spark load-demo`: the demo data set, generated in PostgreSQL, on Spark."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from experiment_analytics.dbt import run_dbt
from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.spark.demo_files import export_source_files
from experiment_analytics.spark.loader import load_statements
from experiment_analytics.spark.location import spark_dir
from experiment_analytics.spark.publish_demo import register as register_publish_demo
from experiment_analytics.warehouse import ConnectionSettings

_logger = logging.getLogger(__name__)


LOCAL_TARGET = "spark"


class SparkLoadError(ExperimentAnalyticsError):
    """The demo data cannot be loaded where it was asked to go."""


def load_demo_args(files_dir: Path, tables: list[str]) -> list[str]:
    """The `dbt run-operation` arguments that create the Spark tables and load `files_dir`."""
    arguments = {"statements": load_statements(files_dir, tables)}
    return ["run-operation", "execute_statements", "--args", json.dumps(arguments)]


def _load_demo(args: argparse.Namespace) -> None:
    if args.target != LOCAL_TARGET and not args.allow_other_warehouse:
        raise SparkLoadError(
            f"loading the demo data replaces the rows of the exp tables of target {args.target}; "
            f"only the local session Spark (target {LOCAL_TARGET}) is loaded without "
            "--allow-other-warehouse (use it for a disposable warehouse only)"
        )
    files_dir = Path(args.files_dir) if args.files_dir else spark_dir() / "demo_files"
    settings = ConnectionSettings.from_env()
    print(f"exporting the exp tables of {settings.describe()} to {files_dir}")
    counts = export_source_files(settings, files_dir)
    print(f"loading {', '.join(f'{t} ({n:,})' for t, n in counts.items())} into Spark")
    dbt_args = load_demo_args(files_dir, list(counts))
    result = run_dbt([*dbt_args, "--target", args.target], stream=True)
    print(f"demo data on Spark (target {args.target}) in {result.seconds:.0f} s")


def register(commands: argparse._SubParsersAction) -> None:
    spark = commands.add_parser(
        "spark", help="the project on Apache Spark (README 'Running on Apache Spark')"
    )
    actions = spark.add_subparsers(dest="action", required=True, metavar="<action>")
    load = actions.add_parser(
        "load-demo",
        help="copy the demo data set from PostgreSQL (after `demo generate`) into Spark's exp "
        "tables, through CSV files that Spark's executors read",
    )
    load.add_argument(
        "--files-dir",
        help="where the CSV files go (default $EXPERIMENT_ANALYTICS_SPARK_DIR/demo_files); on a "
        "cluster, a folder every executor can read",
    )
    load.add_argument("--target", default="spark", help="the dbt target (default spark)")
    load.add_argument(
        "--allow-other-warehouse",
        action="store_true",
        help="also on a target that is not the local session Spark (its exp rows are replaced)",
    )
    load.set_defaults(handler=_load_demo)
    register_publish_demo(actions)
