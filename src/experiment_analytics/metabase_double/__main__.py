"""`python -m experiment_analytics.metabase_double`: serve the Metabase double until Ctrl-C.

Every option can also come from an environment variable (MB_DOUBLE_HOST, MB_DOUBLE_PORT,
MB_DOUBLE_VERSION, MB_DOUBLE_DATABASE_NAME, MB_DOUBLE_REQUEST_LOG, MB_DOUBLE_ADMIN_EMAIL,
MB_DOUBLE_ADMIN_PASSWORD, MB_DOUBLE_API_KEY, MB_DOUBLE_TENANTS, MB_DOUBLE_FAULTS,
MB_DOUBLE_PREVIEW_DIR: the pages of `experiment-analytics preview`, served at /dashboard/<id>).

The warehouse (PGHOST/PGPORT/PGDATABASE; unset: the running embedded server) is registered as a
database by default, connecting as the read-only role (WAREHOUSE_READER_USER/
WAREHOUSE_READER_PASSWORD; unset: the embedded server's analytics_reader), as a real Metabase
should; `--no-warehouse` starts without it.

Faults (`--fault`, repeatable; MB_DOUBLE_FAULTS holds several separated by ";") are
`key=value` words: method (GET, POST, ..., or WRITE = any request that changes state), path
(a regex searched in the path), kind (status | delay | drop | halt), status, seconds, skip
(let that many matching requests through first), times (how many to fault, default 1) and
apply_then_fail (apply the request, then fail). For example:

  --fault "method=WRITE skip=4 kind=status status=500"     the 5th write fails, not applied
  --fault "method=POST path=^/api/card$ kind=delay seconds=30 apply_then_fail"
                                  card creates are applied, answered 30 s later (client timeout)
  --fault "method=WRITE skip=9 kind=halt"      the 10th write is applied, then every request is
                                  dropped: what the server sees when the client is killed there
  --fault "path=^/api/collection/graph$ kind=drop apply_then_fail times=3"

While it runs: GET /_double/faults lists the faults and how often each fired,
POST /_double/faults {"fault": "<words>"} adds one, DELETE /_double/faults clears them (and
ends a halt) - so a client can be run again against the same state.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading

from experiment_analytics.errors import ExperimentAnalyticsError
from experiment_analytics.metabase_double.faults import Fault, parse_fault
from experiment_analytics.metabase_double.server import MetabaseDouble
from experiment_analytics.warehouse import ConnectionSettings


def _fault(text: str) -> Fault:
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m experiment_analytics.metabase_double",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default=env("MB_DOUBLE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("MB_DOUBLE_PORT", "3000")))
    parser.add_argument(
        "--version",
        default=env("MB_DOUBLE_VERSION", "v0.57.6"),
        help="Metabase version to report (default: %(default)s)",
    )
    parser.add_argument(
        "--no-warehouse",
        dest="warehouse_from_env",
        action="store_false",
        help="start without the warehouse registered as a database",
    )
    parser.add_argument(
        "--warehouse-from-env",
        action="store_true",
        default=True,
        help="register the warehouse (the default; kept for scripts that pass it)",
    )
    parser.add_argument("--database-name", default=env("MB_DOUBLE_DATABASE_NAME", "Experiments"))
    parser.add_argument(
        "--request-log",
        default=env("MB_DOUBLE_REQUEST_LOG"),
        help="append every request to this file as JSON lines",
    )
    parser.add_argument("--admin-email", default=env("MB_DOUBLE_ADMIN_EMAIL", "admin@example.com"))
    parser.add_argument(
        "--admin-password", default=env("MB_DOUBLE_ADMIN_PASSWORD", "admin-password-1")
    )
    parser.add_argument("--api-key", default=env("MB_DOUBLE_API_KEY", "mb_double_test_key"))
    parser.add_argument(
        "--sync-delay",
        type=float,
        default=0.2,
        help="seconds each sync phase takes (default: %(default)s)",
    )
    parser.add_argument(
        "--tenants",
        action="store_true",
        default=env("MB_DOUBLE_TENANTS", "") not in ("", "0", "false"),
        help='as with the Enterprise tenants feature: All Users is named "All internal users"',
    )
    parser.add_argument(
        "--fault",
        dest="faults",
        action="append",
        type=_fault,
        default=[_fault(t) for t in env("MB_DOUBLE_FAULTS", "").split(";") if t.strip()],
        metavar="WORDS",
        help='inject a fault, e.g. "method=WRITE skip=4 kind=halt" (repeatable; see above)',
    )
    parser.add_argument(
        "--preview-dir",
        default=env("MB_DOUBLE_PREVIEW_DIR"),
        help="the pages of `experiment-analytics preview`, served at /dashboard/<id> "
        "(default: target/preview of the project)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        warehouse = ConnectionSettings.reader_from_env() if args.warehouse_from_env else None
    except ExperimentAnalyticsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    double = MetabaseDouble(
        warehouse=warehouse,
        database_name=args.database_name,
        host=args.host,
        port=args.port,
        version=args.version,
        admin_email=args.admin_email,
        admin_password=args.admin_password,
        api_key=args.api_key,
        sync_delay_seconds=args.sync_delay,
        request_log_path=args.request_log,
        tenants=args.tenants,
        preview_dir=args.preview_dir,
    )
    for fault in args.faults:
        double.inject(fault)
    try:
        double.start()
    except (ExperimentAnalyticsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Metabase double {args.version} at {double.url}")
    print(f"  admin: {args.admin_email} / {args.admin_password}   X-API-KEY: {args.api_key}")
    if warehouse is not None:
        print(
            f"  database {args.database_name!r} (id {double.database_id}): {warehouse.describe()}"
        )
    for fault in args.faults:
        print(f"  fault: {fault.describe()}")
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
