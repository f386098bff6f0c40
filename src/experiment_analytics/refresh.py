"""`experiment-analytics refresh`: what a scheduler runs, in one command.

1. `dbt build` (incremental; `--full-refresh` passes through). Its on-run-end hook records the
   invocation in <DBT_SCHEMA>.dbt_build_history, which the stale-analytics alert reads.
2. Freshness: `dbt source freshness` (is the platform's feed arriving? the sources' warn/error
   limits), then the analytics' own: when the last complete successful build finished.
3. Publish to Metabase (`experiment-analytics publish`, zero writes when nothing changed), when
   METABASE_URL is set; `--no-publish` skips it. Skipped after a failed build: a build that
   failed may have left a relation a changed card reads missing or out of date.

Every step runs and reports even when an earlier one warned; the exit code is 1 when the build,
the freshness error limit or the publish failed, else 0, so a scheduler sees a failed run. Runs
must not overlap: the README's cron line wraps the command in `flock -n`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse.connection import ConnectionSettings, connect

_logger = logging.getLogger(__name__)


def _step(number: int, text: str) -> None:
    print(f"[{number}/3] {text}", flush=True)


def _builder_settings() -> ConnectionSettings:
    """dbt's own connection (profiles.yml: PGUSER, default analytics_builder)."""
    if os.environ.get("PGUSER"):
        return ConnectionSettings.from_env()
    return ConnectionSettings.from_env(user="analytics_builder")


def last_complete_build(settings: ConnectionSettings, schema: str) -> dt.datetime | None:
    """When the last complete successful dbt build finished (the stale-analytics alert's clock)."""
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(f"select to_regclass('{schema}.dbt_build_history') is not null")
            if not cur.fetchone()[0]:
                return None
            cur.execute(
                f"select max(finished_at) from {schema}.dbt_build_history where is_complete_success"
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def refresh(full_refresh: bool = False, publish: bool = True) -> int:
    failed = False
    _step(1, "dbt build" + (" --full-refresh" if full_refresh else ""))
    build = run_dbt(
        ["build", *(["--full-refresh"] if full_refresh else [])], check=False, stream=True
    )
    if build.returncode != 0:
        failed = True
        print(f"dbt build failed (exit {build.returncode}); see its output above")

    _step(2, "freshness: dbt source freshness, then the last complete build")
    freshness = run_dbt(["source", "freshness"], check=False, stream=True)
    if freshness.returncode != 0:
        failed = True
        print("a source is past its freshness error limit (see above): the feed has stopped")
    schema = os.environ.get("DBT_SCHEMA", "analytics")
    finished = last_complete_build(_builder_settings(), schema)
    if finished is None:
        print(f"no complete successful dbt build recorded in {schema}.dbt_build_history yet")
    else:
        age = dt.datetime.now(dt.UTC) - finished
        print(
            f"last complete successful dbt build finished {finished:%Y-%m-%d %H:%M:%S %Z}"
            f" ({age.total_seconds() / 60:.0f} min ago)"
        )

    if not publish:
        _step(3, "publish: skipped (--no-publish)")
    elif build.returncode != 0:
        _step(3, "publish: skipped, the build failed")
    elif not os.environ.get("METABASE_URL"):
        _step(3, "publish: skipped, METABASE_URL is not set (or pass --no-publish)")
    else:
        _step(3, f"publish to {os.environ['METABASE_URL']}")
        from experiment_analytics.metabase import cli as publish_cli

        if publish_cli.main([]) != 0:
            failed = True
    print("refresh " + ("FAILED" if failed else "done"))
    return 1 if failed else 0


def _run(args: argparse.Namespace) -> int:
    return refresh(full_refresh=args.full_refresh, publish=not args.no_publish)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "refresh",
        help="what a scheduler runs: dbt build, freshness checks, publish to Metabase",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--full-refresh", action="store_true", help="dbt build --full-refresh")
    parser.add_argument("--no-publish", action="store_true", help="build and check only")
    parser.set_defaults(handler=_run)
