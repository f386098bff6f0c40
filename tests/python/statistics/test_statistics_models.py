"""The statistics models as dbt builds them: the incremental path of unit_daily_statistics equals a
full refresh, and each singular invariant test on variant_significance fails on data that breaks it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import connect, create_exp_sources

pytestmark = pytest.mark.slow

UNIT_DAY_ROWS = (
    "select md5(string_agg(row_text, '|' order by row_text)), count(*) from ("
    "select (u.*)::text as row_text from analytics.unit_daily_statistics as u) as r"
)


def execute(settings, sql: str):
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def test_incremental_unit_daily_statistics_equals_full_refresh(new_database, tmp_path_factory):
    from experiment_analytics.demo_data import append_days, generate

    settings = new_database("statistics_incremental")
    create_exp_sources(settings)
    end_at = datetime(2026, 2, 1, tzinfo=UTC)
    generate(settings, events=8_000, seed=5, end_at=end_at)
    target = tmp_path_factory.mktemp("dbt_statistics_incremental")
    selection = ["--select", "+unit_daily_statistics"]
    run_dbt(["seed"], settings, target_path=target)
    run_dbt(["run", *selection], settings, target_path=target)
    before = execute(settings, UNIT_DAY_ROWS)[0]
    # a new day plus late events (received after end_at) of earlier days
    append_days(settings, events=8_000, seed=5, end_at=end_at, days=1)
    run_dbt(["run", *selection], settings, target_path=target)
    incremental = execute(settings, UNIT_DAY_ROWS)[0]
    run_dbt(["run", *selection, "--full-refresh"], settings, target_path=target)
    full = execute(settings, UNIT_DAY_ROWS)[0]
    assert incremental[1] > before[1], "the appended day added no unit-day rows"
    assert incremental == full


SINGULAR_TESTS = {
    # test name -> the break (one row of variant_significance) that must make it fail
    "assert_variant_significance_ci_contains_diff": "ci_lower = diff + 1",
    "assert_variant_significance_verdict_follows_adjusted_p": "is_significant = not is_significant",
    "assert_variant_significance_no_verdict_under_srm": "is_significant = true",
    "assert_variant_significance_adjusted_p_at_least_raw": (
        "p_value_adjusted = p_value_decision / 2"
    ),
}
ROW_FILTERS = {
    "assert_variant_significance_ci_contains_diff": "status = 'ok'",
    "assert_variant_significance_verdict_follows_adjusted_p": "status = 'ok'",
    "assert_variant_significance_no_verdict_under_srm": "status = 'srm'",
    "assert_variant_significance_adjusted_p_at_least_raw": (
        "p_value_decision > 0 and status <> 'ok'"
    ),
}


def test_invariant_tests_fail_on_broken_rows(statistics_warehouse, tmp_path_factory):
    """Break one row per invariant (different rows), run the singular tests, then restore."""
    settings = statistics_warehouse.settings
    target = tmp_path_factory.mktemp("dbt_statistics_invariants")
    used: list[str] = []
    execute(
        settings,
        "create table analytics.variant_significance_backup as "
        "select * from analytics.variant_significance",
    )
    try:
        for name, change in SINGULAR_TESTS.items():
            key = "(experiment_id, treatment_variant_id, metric_name)::text"
            exclude = f"and {key} not in ({', '.join(used)})" if used else ""
            rows = execute(
                settings,
                f"update analytics.variant_significance set {change} "
                f"where (experiment_id, treatment_variant_id, metric_name) = ("
                f"select experiment_id, treatment_variant_id, metric_name "
                f"from analytics.variant_significance where {ROW_FILTERS[name]} {exclude} "
                f"order by 1, 2, 3 limit 1) "
                f"returning (experiment_id, treatment_variant_id, metric_name)::text",
            )
            assert rows and len(rows) == 1, f"no row to break for {name}"
            used.append("'" + rows[0][0] + "'")
        result = run_dbt(
            ["test", "--select", " ".join(SINGULAR_TESTS)],
            settings,
            target_path=target,
            check=False,
        )
        outcomes = {
            r["unique_id"].split(".")[-1]: (r["status"], r["failures"])
            for r in json.loads((target / "run_results.json").read_text())["results"]
        }
        assert result.returncode != 0
        for name in SINGULAR_TESTS:
            assert outcomes[name][0] == "fail", (name, outcomes[name])
    finally:
        execute(
            settings,
            "truncate analytics.variant_significance; "
            "insert into analytics.variant_significance "
            "select * from analytics.variant_significance_backup; "
            "drop table analytics.variant_significance_backup",
        )
