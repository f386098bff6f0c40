"""Latency percentiles from the mergeable daily histograms (variant_daily_latency_histograms,
macros/statistics/latency_histograms.sql) stay within the documented 1 % of the exact
percentile_cont over the generations, on the demo data: for the whole experiment (the marts
variant_latency_distribution and experiment_performance) and for date windows of 1, 7 and all
days added up by the macro; the smallest and largest latency are exact."""

from __future__ import annotations

import re

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import connect

from .conftest import DemoWarehouse

RELATIVE_ERROR_BOUND = 0.01
LEVELS = {"p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}

PERCENTILES = ", ".join(
    f"percentile_cont({level}) within group (order by latency_ms)" for level in LEVELS.values()
)
EXACT_WINDOW = f"""
select
    variant_id,
    count(latency_ms),
    min(latency_ms),
    max(latency_ms),
    {PERCENTILES}
from analytics.generations
where generated_date between %(first_date)s and %(last_date)s and latency_ms is not null
group by 1
order by 1
"""


def _query(settings, sql: str, params=None) -> list[tuple]:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def _assert_within_bound(exact: float, approximate: float, what: str) -> None:
    assert approximate == pytest.approx(exact, rel=RELATIVE_ERROR_BOUND, abs=0), (
        f"{what}: histogram {approximate} vs exact {exact} "
        f"(relative error {abs(approximate / exact - 1):.4%} > 1 %)"
    )


@pytest.fixture(scope="module")
def window_percentiles_sql(demo_warehouse_build: DemoWarehouse) -> str:
    """The macro's select over the histogram rows of a date window, rendered by dbt."""
    names = ", ".join(f"('{name}', {level})" for name, level in LEVELS.items())
    # the macro returns the quantile columns between min and max: select them by name
    inline = (
        "with window_histograms as (select * from {{ ref('variant_daily_latency_histograms') }} "
        "where metric_date between %(first_date)s and %(last_date)s) "
        "{{ latency_histogram_percentiles('window_histograms', ['variant_id'], [" + names + "]) }}"
    )
    result = run_dbt(
        ["compile", "--quiet", "--inline", inline],
        demo_warehouse_build.settings,
        target_path=demo_warehouse_build.target_path,
    )
    compiled = result.output.strip()
    assert re.search(r"\bfrom\b", compiled), compiled
    columns = ", ".join(LEVELS)
    return (
        f"select variant_id, latency_count, latency_min_ms, latency_max_ms, {columns} "
        f"from ({compiled}) as percentiles order by variant_id"
    )


def test_whole_experiment_percentiles_within_one_percent(demo_warehouse_build: DemoWarehouse):
    settings = demo_warehouse_build.settings
    exact = {
        row[0]: row[1:]
        for row in _query(
            settings,
            f"select variant_id, min(latency_ms), max(latency_ms), {PERCENTILES} "
            "from analytics.generations where latency_ms is not null group by 1",
        )
    }
    marts = _query(
        settings,
        "select variant_id, latency_min_ms, latency_max_ms, latency_p25_ms, latency_p50_ms, "
        "latency_p75_ms, latency_p95_ms, latency_p99_ms "
        "from analytics.variant_latency_distribution where generation_count > 0",
    )
    assert len(marts) == len(exact) > 1
    for row in marts:
        variant_id, approximate = row[0], row[1:]
        expected = exact[variant_id]
        assert approximate[:2] == expected[:2], f"variant {variant_id}: min/max must be exact"
        for name, value, exact_value in zip(LEVELS, approximate[2:], expected[2:], strict=True):
            _assert_within_bound(exact_value, value, f"variant {variant_id} {name}")
    performance = dict(
        _query(settings, "select variant_id, latency_p50_ms from analytics.experiment_performance")
    )
    checked = [v for v in performance if v in exact and performance[v] is not None]
    assert checked, "experiment_performance has no latency to check"
    for variant_id in checked:
        _assert_within_bound(
            exact[variant_id][3], performance[variant_id], f"variant {variant_id} p50"
        )


def test_window_percentiles_within_one_percent(
    demo_warehouse_build: DemoWarehouse, window_percentiles_sql: str
):
    settings = demo_warehouse_build.settings
    first, last = _query(
        settings, "select min(generated_date), max(generated_date) from analytics.generations"
    )[0]
    windows = [
        (last, last),
        (last.fromordinal(last.toordinal() - 6), last),
        (first, first),
        (first, last),
    ]
    compared = 0
    for first_date, last_date in windows:
        params = {"first_date": first_date, "last_date": last_date}
        exact = {row[0]: row[1:] for row in _query(settings, EXACT_WINDOW, params)}
        approximate = {row[0]: row[1:] for row in _query(settings, window_percentiles_sql, params)}
        window = f"{first_date}..{last_date}"
        assert approximate.keys() == exact.keys(), f"window {window}: other variants"
        for variant_id, (count, low, high, *values) in approximate.items():
            exact_count, exact_low, exact_high, *exact_values = exact[variant_id]
            assert (count, low, high) == (exact_count, exact_low, exact_high)
            for name, value, exact_value in zip(LEVELS, values, exact_values, strict=True):
                _assert_within_bound(exact_value, value, f"{window} variant {variant_id} {name}")
                compared += 1
    assert compared > 50
