"""`experiment-analytics bench`: the benchmark's command (module docs of postgres.py, spark.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from experiment_analytics.benchmark.postgres import run_benchmark
from experiment_analytics.benchmark.result import (
    BENCHMARKS_FILE,
    append_report,
    summary_line,
)

DESCRIPTION = """\
Time the demo data's generation, the full and the incremental `dbt build` against a one-statement
SQL baseline, and every card and alert query, on a fresh embedded PostgreSQL (never the dev
warehouse); with --target spark, the same data set also on a local Spark in a catalogue of its
own (never the project's .spark), one engine after the other. Prints the figures and appends a
row per engine to BENCHMARKS.md. Targets: full build <= 3x baseline, incremental build <= 20% of
the full build, every card and alert query <= 1 s.
"""


def _bench(args: argparse.Namespace) -> None:
    if args.target == "spark":
        from experiment_analytics.benchmark.spark import run_spark_benchmark

        results = run_spark_benchmark(args.events, seed=args.seed, append_events=args.append_events)
    else:
        results = (run_benchmark(args.events, seed=args.seed, append_events=args.append_events),)
    for result in results:
        print(summary_line(result))
        if not args.no_report:
            append_report(result, Path(args.report))
    if not args.no_report:
        print(f"appended to {args.report}")


def register(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser(
        "bench",
        help="time demo generation, full and incremental dbt builds against a SQL baseline",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("--events", type=int, default=1_000_000, help="(default: %(default)s)")
    bench.add_argument("--seed", type=int, default=42, help="(default: %(default)s)")
    bench.add_argument(
        "--append-events",
        type=int,
        help="about this many events on the appended day (default: the data set's own daily "
        "rate, --events / 30); a fixed size compares the incremental build over histories of "
        "different sizes",
    )
    bench.add_argument(
        "--target",
        choices=("postgres", "spark"),
        default="postgres",
        help="postgres, or spark: both engines on the same data set (default: %(default)s)",
    )
    bench.add_argument("--report", default=str(BENCHMARKS_FILE), help="(default: %(default)s)")
    bench.add_argument("--no-report", action="store_true", help="print only")
    bench.set_defaults(handler=_bench)
