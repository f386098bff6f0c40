"""`experiment-analytics spark publish-demo`: the Spark build published to the Metabase stand-in.

The last step of `make demo TARGET=spark`. One process holds the local Spark (its catalogue
admits one process at a time, README "Running on Apache Spark"): this command starts the
stand-in with no database, has the publisher add a database of engine `sparksql` (the stand-in
answers its queries from this process's Spark session) and publishes the card SQL compiled for
target spark (`dbt compile --target spark`, run before this command: dbt needs the catalogue
too); then it keeps serving until Ctrl-C, unless --no-serve.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading
from pathlib import Path

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase import PublishOptions, publish
from experiment_analytics.metabase.project import load_project
from experiment_analytics.spark.session import SparkSessionError, local_spark_session
from experiment_analytics.warehouse import ConnectionSettings

_logger = logging.getLogger(__name__)

DATABASE_NAME = "Experiments (Spark)"


def publish_demo(args: argparse.Namespace) -> None:
    from experiment_analytics.metabase_double import MetabaseDouble

    target_dir = Path(args.target_path or PROJECT_DIR / "target")
    manifest = target_dir / "manifest.json"
    adapter = load_project(manifest).adapter_type
    if adapter != "spark":
        raise SparkSessionError(
            f"{manifest} holds SQL compiled for adapter {adapter!r}, not spark: run `dbt compile "
            f"--target {args.target} --select resource_type:analysis` first"
        )
    local_spark_session(args.target)
    double = MetabaseDouble(warehouse=None, port=args.port).start()
    try:
        print(f"Metabase stand-in at {double.url} (X-API-KEY: {double.api_key})")
        summary = publish(
            PublishOptions(
                metabase_url=double.url,
                metabase_api_key=double.api_key,
                metabase_database=DATABASE_NAME,
                warehouse=ConnectionSettings.reader_from_env(),
                target_dir=target_dir,
                manifest_path=manifest,
                compile=False,
                add_database=True,
                exclude=tuple(args.exclude),
                sync_timeout=600,
            )
        )
        print(summary.render())
        if args.no_serve:
            return
        print(f"Published to {double.url}; Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    finally:
        double.stop()


def register(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "publish-demo",
        help="publish the Spark build (after `dbt compile --target spark`) to the Metabase "
        "stand-in, through a database of engine sparksql read from this process's Spark",
    )
    parser.add_argument("--target", default="spark", help="the local Spark's dbt target")
    parser.add_argument(
        "--target-path", help="dbt's target folder with the compiled manifest (default target/)"
    )
    parser.add_argument("--port", type=int, default=3000, help="the stand-in's port (3000)")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NAME",
        help="a dashboard, Metabase model or alert left out (the publisher's --exclude)",
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="stop after publishing instead of serving"
    )
    parser.set_defaults(handler=publish_demo)
