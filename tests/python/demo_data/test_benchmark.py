"""The benchmark's baseline statement and its report (the full benchmark runs via `make bench`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from experiment_analytics.benchmark import (
    BASELINE_SQL,
    TABLE_HEADER,
    BenchmarkError,
    BenchmarkResult,
    append_report,
    run_benchmark,
)
from experiment_analytics.benchmark.result import summary_line
from experiment_analytics.benchmark.steps import error_line, failure_details


def result(full: float, incremental: float) -> BenchmarkResult:
    return BenchmarkResult(
        started_at=datetime(2026, 11, 26, 3, 0, tzinfo=UTC),
        events=1_000_000,
        appended_events=35_000,
        cores=2,
        ram_gb=23.4,
        engine="PostgreSQL 18.0",
        load_average=0.5,
        generate_seconds=10.0,
        full_build_seconds=full,
        append_seconds=2.0,
        incremental_build_seconds=incremental,
        baseline_seconds=10.0,
        dbt_summary="full: PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1",
    )


def test_ratios_and_targets():
    good, bad = result(full=25.0, incremental=5.0), result(full=31.0, incremental=7.0)
    assert good.full_to_baseline == 2.5 and good.full_target_met
    assert good.incremental_to_full == 0.2 and good.incremental_target_met
    assert not bad.full_target_met and not bad.incremental_target_met


def test_report_appends_one_row_under_a_single_header(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nintro\n")
    append_report(result(25.0, 5.0), path)
    append_report(result(31.0, 7.0), path)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nintro\n")
    assert text.count(TABLE_HEADER) == 1
    rows = [line for line in text.splitlines() if line.startswith("| 2026-11-26")]
    assert len(rows) == 2
    assert "full<=3x: met; incr<=20%: met" in rows[0]
    assert "full<=3x: MISSED; incr<=20%: MISSED" in rows[1]


def test_summary_line_says_each_target_as_the_report_row_does():
    good, bad = result(full=25.0, incremental=5.0), result(full=31.0, incremental=7.0)
    assert "(target <= 3.0: met), incremental/full 0.20 (target <= 0.2: met)" in summary_line(good)
    assert "(target <= 3.0: MISSED), incremental/full 0.23 (target <= 0.2: MISSED)" in (
        summary_line(bad)
    )
    # no card timed: the card target is missed, in both places alike
    assert summary_line(good).endswith("(target <= 1.0 s: MISSED)")


def test_benchmark_rejects_tiny_sizes():
    with pytest.raises(BenchmarkError, match="at least 1000"):
        run_benchmark(10)


def test_baseline_statement_computes_per_variant_daily_aggregates(demo_data):
    demo_data("drop schema if exists benchmark_baseline cascade")
    demo_data("create schema benchmark_baseline")
    demo_data(BASELINE_SQL)
    baseline = {
        row[:3]: row[3:]
        for row in demo_data(
            "select experiment_id, variant_id, metric_date, generation_count,"
            " acceptance_rate::float8, latency_p95_ms"
            " from benchmark_baseline.variant_daily_metrics"
        )
    }
    expected = {
        row[:3]: row[3:]
        for row in demo_data(
            "select g.experiment_id, g.variant_id, (g.occurred_at at time zone 'UTC')::date,"
            " count(*), avg(coalesce((o.event_type in ('accepted', 'edited'))::int, 0))::float8,"
            " percentile_cont(0.95) within group (order by g.latency_ms)"
            " from exp.events as g left join exp.events as o"
            " on o.request_id = g.request_id and o.event_type <> 'generation'"
            " where g.event_type = 'generation' group by 1, 2, 3"
        )
    }
    assert baseline.keys() == expected.keys() and len(baseline) > 100
    for key, (count, acceptance, p95) in expected.items():
        assert baseline[key][0] == count
        assert baseline[key][1] == pytest.approx(acceptance, rel=1e-9)
        assert baseline[key][2] == pytest.approx(p95, rel=1e-9)
    demo_data("drop schema benchmark_baseline cascade")


def test_card_times_go_into_their_own_section_before_the_results_table(tmp_path):
    from dataclasses import replace

    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nintro\n")
    slow = replace(result(25.0, 5.0), card_seconds=(("overview.a", 0.2), ("alert.b", 1.5)))
    fast = replace(result(25.0, 5.0), card_seconds=(("overview.a", 0.1),))
    append_report(slow, path)
    append_report(fast, path)
    text = path.read_text()
    assert text.count("## Card and alert query times") == 1
    assert text.index("## Card and alert query times") < text.index("## Results")
    assert "overview.a 0.20, alert.b 1.50" in text
    rows = [line for line in text.splitlines() if line.startswith("| 2026-11-26")]
    assert "cards<=1s: MISSED (slowest alert.b 1.50 s)" in rows[0]
    assert "cards<=1s: met (slowest overview.a 0.10 s)" in rows[1]


def test_a_failing_query_is_reported_by_name_and_misses_the_card_target(tmp_path):
    from dataclasses import replace

    path = tmp_path / "BENCHMARKS.md"
    broken = replace(
        result(25.0, 5.0),
        card_seconds=(("overview.a", 0.1),),
        card_failures=(("alert.b", "AnalysisException: cannot resolve x"),),
    )
    append_report(broken, path)
    text = path.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| 2026-11-26"))
    assert "cards<=1s: MISSED (slowest overview.a 0.10 s; 1 failed)" in row
    assert "| PostgreSQL 18.0 |" in row
    assert "overview.a 0.10; alert.b FAILED: AnalysisException: cannot resolve x" in text


def test_a_failing_build_is_reported_with_the_error_dbt_printed():
    # the end of a real dbt run's output (dbt-spark, 2026-12-02), shortened
    output = (
        "11:13:13  Completed with 2 errors, 0 partial successes, and 0 warnings:\n"
        "11:13:13  \n"
        "11:13:13  Failure in model variant_significance (models/marts/statistics/x.sql)\n"
        "11:13:13    Runtime Error\n"
        "  java.lang.OutOfMemoryError: Java heap space\n"
        "11:13:13  \n"
        "11:13:13    Database Error in test unique_v_x (models/marts/_models.yml)\n"
        "  [TABLE_OR_VIEW_NOT_FOUND] exp.v_x\n"
        "11:13:13  \n"
        "11:13:13  Done. PASS=170 WARN=0 ERROR=2 SKIP=6 NO-OP=4 TOTAL=184\n"
    )
    assert failure_details(output) == [
        "Failure in model variant_significance (models/marts/statistics/x.sql) | Runtime Error"
        " | java.lang.OutOfMemoryError: Java heap space",
        "Database Error in test unique_v_x (models/marts/_models.yml)"
        " | [TABLE_OR_VIEW_NOT_FOUND] exp.v_x",
    ]
    assert failure_details("11:13:13  Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1\n") == []


def test_a_failing_query_is_reported_with_the_engines_message_not_its_drivers():
    wrapped = RuntimeError(
        "An error occurred while calling o45.sql.\n"
        ": java.lang.RuntimeException: Max iterations (100) reached for batch Resolution\n"
        "\tat org.apache.spark.sql.catalyst.rules.RuleExecutor.execute"
    )
    assert error_line(wrapped) == (
        "java.lang.RuntimeException: Max iterations (100) reached for batch Resolution"
    )
    assert error_line(ValueError("column x does not exist\nLINE 1")) == "column x does not exist"
    assert error_line(ValueError("")) == "ValueError"
