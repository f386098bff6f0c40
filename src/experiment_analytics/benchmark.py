"""The benchmark (`experiment-analytics bench`): being written; see BENCHMARKS.md."""

from __future__ import annotations

import argparse
import logging

from experiment_analytics.errors import ExperimentAnalyticsError

_logger = logging.getLogger(__name__)


def _bench(args: argparse.Namespace) -> None:
    raise ExperimentAnalyticsError("the benchmark is not implemented yet")


def register(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="time demo generation, dbt builds and a baseline")
    bench.add_argument("--events", type=int, default=1_000_000)
    bench.set_defaults(handler=_bench)
