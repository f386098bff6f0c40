"""The benchmark (`experiment-analytics bench`, `make bench EVENTS=N [TARGET=spark]`): the
PostgreSQL run (postgres.py), the Spark run beside it (spark.py), the steps both share
(steps.py) and the report in BENCHMARKS.md (result.py)."""

from experiment_analytics.benchmark.cli import register
from experiment_analytics.benchmark.postgres import BASELINE_SQL, run_benchmark
from experiment_analytics.benchmark.result import (
    TABLE_HEADER,
    BenchmarkError,
    BenchmarkResult,
    append_report,
)

__all__ = [
    "BASELINE_SQL",
    "TABLE_HEADER",
    "BenchmarkError",
    "BenchmarkResult",
    "append_report",
    "register",
    "run_benchmark",
]
