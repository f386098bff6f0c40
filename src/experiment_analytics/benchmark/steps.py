"""The steps every engine's benchmark shares: timing, dbt builds and their node times, the
machine's description, and the card and alert queries as the publisher compiles them."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from pathlib import Path

from experiment_analytics.benchmark.result import BenchmarkError
from experiment_analytics.dbt import PROJECT_DIR, DbtResult, run_dbt
from experiment_analytics.native_query import CompiledQuery

_logger = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def timed(label: str, action):
    """(action's value, wall-clock seconds), logged under `label`."""
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    _logger.info("%s: %.1f s", label, seconds)
    return value, seconds


def dbt_summary(output: str) -> str:
    match = re.search(
        r"Done\. (PASS=\d+ WARN=\d+ ERROR=\d+ SKIP=\d+\s*(?:NO-OP=\d+ )?TOTAL=\d+)", output
    )
    return match.group(1) if match else "no summary"


def node_times(target: Path) -> str:
    """Where a build's time went: model vs test time summed over nodes, the slowest nodes."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (OSError, KeyError, ValueError):
        return "no run_results.json"
    totals: dict[str, float] = {}
    for node in results:
        kind = node["unique_id"].split(".", 1)[0]
        totals[kind] = totals.get(kind, 0.0) + float(node.get("execution_time") or 0.0)
    slowest = sorted(results, key=lambda node: -float(node.get("execution_time") or 0.0))[:3]
    return (
        ", ".join(f"{kind}s {seconds:.0f} s" for kind, seconds in sorted(totals.items()))
        + "; slowest: "
        + ", ".join(
            f"{node['unique_id'].split('.')[2]} {float(node['execution_time']):.0f} s"
            for node in slowest
        )
    )


_FAILURE = re.compile(
    r"^(Failure|[A-Za-z]* ?Error) in (model|test|seed|snapshot|operation|unit_test) "
)


def failure_details(output: str, limit: int = 400) -> list[str]:
    """Each failing node of a dbt run's summary with the error dbt printed under it (the lines up
    to the next blank one), on one line each: `Failure in model x (path) | Runtime Error | ...`.
    The run's working folder (and its dbt.log) is removed after the benchmark, so the report
    has to carry the cause itself."""
    details, lines = [], output.splitlines()
    for index, line in enumerate(lines):
        if not _FAILURE.match(_strip_timestamp(line)):
            continue
        block = [_strip_timestamp(line)]
        for following in lines[index + 1 :]:
            text = _strip_timestamp(following)
            if not text or _FAILURE.match(text):
                break
            block.append(text)
        details.append(" | ".join(block)[:limit])
    return details


def _strip_timestamp(line: str) -> str:
    """dbt's log line without its `HH:MM:SS  ` prefix and colour codes."""
    return re.sub(r"^(\x1b\[[0-9;]*m)*\d{2}:\d{2}:\d{2}\s+|\x1b\[[0-9;]*m", "", line).strip()


def build(args: list[str], settings, env: dict[str, str], target: Path) -> DbtResult:
    """`dbt <args>` into `target`; a failure is logged, not raised: a failing data test does not
    stop the benchmark, its summary goes into the report (dbt skips what depends on a failed
    test, so such a row is not comparable)."""
    result = run_dbt(args, settings, extra_env=env, target_path=target, check=False)
    _logger.info("`dbt %s` node time: %s", " ".join(args), node_times(target))
    if result.returncode != 0:
        _logger.warning(
            "`dbt %s` exited %d: %s",
            " ".join(args),
            result.returncode,
            "; ".join(failure_details(result.output)) or result.output[-2000:],
        )
    return result


def card_queries(manifest: Path) -> list[tuple[str, CompiledQuery]]:
    """Every dashboard card (with the dashboard's default filter values) and every alert query
    of the project, from a manifest with the analyses compiled (for one engine), substituted as
    the publisher does: (`dashboard.card` or `alert.<key>`, query). Not validated against the
    warehouse (the publisher's check would stop at the first query an engine cannot run; the
    benchmark reports each failing query by name instead: time_queries)."""
    from experiment_analytics.metabase.project import load_project
    from experiment_analytics.metabase.spec import parse_dashboard, parse_publisher
    from experiment_analytics.native_query import compile_native
    from experiment_analytics.preview.cards import FieldColumns, compile_card, filter_values

    project = load_project(manifest, PROJECT_DIR)
    config = parse_publisher(PROJECT_DIR / "metabase" / "publisher.yml")
    fields = FieldColumns(project)
    queries = []
    for exposure in sorted(project.dashboards.values(), key=lambda e: e.name):
        if exposure.spec_path is None:
            raise BenchmarkError(f"exposure {exposure.name} names no dashboard spec file")
        spec = parse_dashboard(exposure.spec_path)
        values = filter_values(spec, {})
        for card in spec.cards:
            sql = project.analyses[card.query].compiled_sql
            queries.append(
                (f"{spec.dashboard}.{card.key}", compile_card(spec, card, sql, values, fields))
            )
    for alert in config.alerts:
        sql = project.analyses[alert.query].compiled_sql
        queries.append((f"alert.{alert.key}", compile_native(sql, {}, [], fields.column_of)))
    return queries


def error_line(exc: BaseException) -> str:
    """The engine's own message: the first line of the error that is not a driver's wrapper
    (py4j's `An error occurred while calling o45.sql.` hides Spark's `java.lang...: Max
    iterations (100) reached ...` on the next line)."""
    for line in str(exc).strip().splitlines():
        text = line.strip().lstrip(":").strip()
        if text and not text.startswith("An error occurred while calling"):
            return text
    return type(exc).__name__


def time_queries(
    queries: list[tuple[str, CompiledQuery]], run
) -> tuple[list[tuple[str, float]], list[tuple[str, str]]]:
    """Run each query once with `run(compiled)` (which fetches every row): (seconds per query,
    (query, first line of the error) per failing query). A failure is reported, not raised, so
    one broken query does not lose the run's other figures; it misses the card target."""
    timings, failures = [], []
    for name, compiled in queries:
        started = time.perf_counter()
        try:
            run(compiled)
        except Exception as exc:  # the engine's error, whatever its driver's class
            message = error_line(exc)
            _logger.error("card %s failed: %s", name, message)
            failures.append((name, message[:300]))
            continue
        seconds = time.perf_counter() - started
        _logger.info("card %s: %.3f s", name, seconds)
        timings.append((name, seconds))
    return timings, failures
