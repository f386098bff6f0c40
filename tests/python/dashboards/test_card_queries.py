"""Every card's compiled SQL on a built demo warehouse: it runs, returns the columns its spec
declares, honours the dashboard filters, and the numbers of the window-based cards are right.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from experiment_analytics.warehouse import connect

from .content import (
    FOREIGN_CARD_QUERIES,
    CompiledProject,
    Warehouse,
    all_cards,
    card_by_key,
    publisher_config,
    without_optional_clauses,
)

pytestmark = pytest.mark.slow

# Cards whose window is relative to now(): empty on a data set that ended long ago.
# Cards that show what went wrong: empty on the demo's clean feed (their rows are tested on
# broken data: tests/python/dashboards/test_alerts.py).
EMPTY_WHILE_THE_FEED_IS_CLEAN = {"quarantined_events"}
NOW_RELATIVE = {
    "events_last_7_days",
    "quality_metrics_trend",
    "latency_over_time",
    "daily_latency",
    "tokens_per_request",
    "cost_by_model",
}


@pytest.fixture(scope="module")
def warehouse(card_warehouse) -> Warehouse:
    db = Warehouse(card_warehouse)
    yield db
    db.conn.close()


@pytest.fixture(scope="module")
def data_is_recent(warehouse: Warehouse, compiled: CompiledProject) -> bool:
    newest = warehouse.rows(
        f"select max(generated_at) as newest from {compiled.relations['generations']}"
    )
    return (
        newest[0]["newest"] is not None
        and warehouse.rows(
            "select %s > now() - interval '1 day' as recent", (newest[0]["newest"],)
        )[0]["recent"]
    )


@pytest.fixture(scope="module")
def busiest(warehouse: Warehouse, compiled: CompiledProject) -> tuple[str, dt.date, dt.date]:
    """The experiment with the most generations, and a 7-day window ending on its last day."""
    row = warehouse.rows(
        f"""
        select variants.experiment_name, max(generations.generated_date) as last_date,
            count(*) as generation_count
        from {compiled.relations["generations"]} as generations
        inner join {compiled.relations["variants"]} as variants
            on generations.variant_id = variants.variant_id
        group by 1 order by 3 desc, 1 limit 1
        """
    )[0]
    return row["experiment_name"], row["last_date"] - dt.timedelta(days=6), row["last_date"]


def filtered_sql(compiled: CompiledProject, dashboard: str, key: str, experiment, start, end):
    """The card's SQL with its filters set the way Metabase expands field filters."""
    _, card = card_by_key(dashboard, key)
    conditions = {
        "experiment": "{column} = '" + experiment.replace("'", "''") + "'",
        "date_range": "{column} between date '" + f"{start}' and date '{end}'",
    }
    values = {
        mapping.tag: (mapping.field.model, mapping.field.column, conditions[filter_id])
        for filter_id, mapping in card.filters.items()
    }
    return compiled.with_filters(compiled.sql[card.query], values)


@pytest.mark.parametrize(("dashboard", "key"), all_cards())
def test_card_runs_and_returns_its_declared_columns(
    dashboard, key, warehouse, compiled, data_is_recent
):
    _, card = card_by_key(dashboard, key)
    sql = without_optional_clauses(compiled.sql[card.query])
    assert "{{" not in sql, "a template tag outside an optional clause"
    rows = warehouse.rows(sql)
    returned = warehouse.columns(sql)
    missing = set(card.columns) - set(returned)
    assert not missing, f"{dashboard}.{key}: declared but not returned: {sorted(missing)}"
    if card.query not in FOREIGN_CARD_QUERIES:
        assert list(card.columns) == returned, f"{dashboard}.{key}: declare exactly what it returns"
    if card.display == "scalar":
        assert len(rows) == 1 and len(returned) == 1
    elif key in EMPTY_WHILE_THE_FEED_IS_CLEAN:
        assert rows == [], f"{dashboard}.{key}: the demo feed is clean"
    elif data_is_recent or key not in NOW_RELATIVE:
        assert rows, f"{dashboard}.{key} is empty on the demo data"


@pytest.mark.parametrize(("dashboard", "key"), all_cards())
def test_card_reads_only_marts_its_exposure_depends_on(dashboard, key, compiled):
    _, card = card_by_key(dashboard, key)
    read = set(compiled.depends_on[card.query])
    assert read, key
    assert read <= set(compiled.exposures[dashboard]), (
        f"{dashboard}.{key} reads {sorted(read - set(compiled.exposures[dashboard]))}, "
        "which the exposure does not list in depends_on"
    )
    assert not any(name.startswith(("stg_", "int_")) for name in read), "cards read marts only"


@pytest.mark.parametrize(
    ("dashboard", "key"), [(d, k) for d, k in all_cards() if card_by_key(d, k)[1].filters]
)
def test_filters_restrict_the_card_to_the_experiment_and_window(
    dashboard, key, warehouse, compiled, busiest
):
    experiment, start, end = busiest
    rows = warehouse.rows(filtered_sql(compiled, dashboard, key, experiment, start, end))
    assert rows, f"{dashboard}.{key} is empty for {experiment} {start}..{end}"
    unfiltered = warehouse.rows(
        without_optional_clauses(compiled.sql[card_by_key(dashboard, key)[1].query])
    )
    for row in rows:
        if "experiment_name" in row:
            assert row["experiment_name"] == experiment
        for column in ("metric_date", "event_date"):
            if column in row:
                assert start <= row[column] <= end
    if "experiment_name" in rows[0]:
        assert len(rows) < len(unfiltered), "the filters did not restrict anything"


def test_variant_comparison_is_computed_from_generations_in_the_window(
    warehouse, compiled, busiest
):
    experiment, start, end = busiest
    rows = warehouse.rows(
        filtered_sql(compiled, "variant_performance", "variant_comparison", experiment, start, end)
    )
    generations = warehouse.rows(
        f"""
        select variants.variant_name, generations.latency_ms, generations.edit_count,
            generations.is_accepted
        from {compiled.relations["generations"]} as generations
        inner join {compiled.relations["variants"]} as variants
            on generations.variant_id = variants.variant_id
        where variants.experiment_name = %s and generations.generated_date between %s and %s
        """,
        (experiment, start, end),
    )
    by_variant: dict[str, list[dict]] = {}
    for generation in generations:
        by_variant.setdefault(generation["variant_name"], []).append(generation)
    assert {row["variant_name"] for row in rows} >= set(by_variant)
    for row in rows:
        sample = by_variant.get(row["variant_name"], [])
        assert row["generation_count"] == len(sample)
        if not sample:
            continue
        latency = np.array([g["latency_ms"] for g in sample], dtype=float)
        # merged from the per-day latency histograms: within their documented 1 % bound
        assert float(row["latency_p50_ms"]) == pytest.approx(np.percentile(latency, 50), rel=0.01)
        assert float(row["acceptance_rate"]) == pytest.approx(
            np.mean([g["is_accepted"] for g in sample])
        )
        assert float(row["avg_edits"]) == pytest.approx(np.mean([g["edit_count"] for g in sample]))
    # The window's median is not the mean of the daily medians the daily mart holds.
    daily = warehouse.rows(
        f"""
        select variant_name, avg(latency_p50_ms) as mean_daily_p50
        from {compiled.relations["variant_daily_metrics"]}
        where experiment_name = %s and metric_date between %s and %s group by 1
        """,
        (experiment, start, end),
    )
    assert any(
        float(d["mean_daily_p50"]) != pytest.approx(float(r["latency_p50_ms"]))
        for d in daily
        for r in rows
        if r["variant_name"] == d["variant_name"]
    )


def test_edit_count_distribution_covers_every_generation_of_the_window(
    warehouse, compiled, busiest
):
    experiment, start, end = busiest
    rows = warehouse.rows(
        filtered_sql(
            compiled, "variant_performance", "edit_count_distribution", experiment, start, end
        )
    )
    expected = warehouse.rows(
        f"""
        select variants.variant_name,
            case when edit_count >= 5 then '5+' else edit_count::text end as bucket,
            count(*) as generation_count
        from {compiled.relations["generations"]} as generations
        inner join {compiled.relations["variants"]} as variants
            on generations.variant_id = variants.variant_id
        where variants.experiment_name = %s and generations.generated_date between %s and %s
        group by 1, 2
        """,
        (experiment, start, end),
    )
    assert {
        (r["variant_name"], r["edit_count_bucket"], int(r["generation_count"])) for r in rows
    } == {(e["variant_name"], e["bucket"], e["generation_count"]) for e in expected}


def test_metabase_models_expose_their_whole_mart(warehouse, compiled):
    for model in publisher_config().metabase_models:
        sql = compiled.sql[model.query]
        relation = compiled.relations[model.key]
        mart_columns = warehouse.columns(f"select * from {relation}")
        assert sorted(warehouse.columns(sql)) == sorted(mart_columns), model.key
        count = warehouse.rows(f"select count(*) as n from {relation}")[0]["n"]
        assert len(warehouse.rows(sql)) == count > 0, model.key


def test_alert_queries_run_on_the_demo_warehouse(warehouse, compiled):
    for alert in publisher_config().alerts:
        assert warehouse.columns(compiled.sql[alert.query]), alert.key


def test_cost_cards_name_a_model_without_a_price(card_warehouse, compiled: CompiledProject):
    """Yesterday: requests of a priced model and of one the seed has no price for. The two cost
    numbers give the priced cost as a lower bound and name the unpriced model with its
    requests; Cost by Model lists it first with Price "missing" and empty costs, never 0. Done
    in a transaction that is rolled back: the shared warehouse is left as it was."""
    costs = compiled.relations["daily_model_costs"]
    prices = compiled.relations["model_token_prices"]
    conn = connect(card_warehouse, autocommit=False)
    try:
        with conn.cursor() as cur:

            def run(key: str) -> list[tuple]:
                cur.execute(compiled.sql[card_by_key("latency_and_cost", key)[1].query])
                return cur.fetchall()

            # only the rows of this test in the window
            cur.execute(
                f"delete from {costs} where metric_date >= (now() at time zone 'utc')::date - 7"
            )
            assert run("cost_last_day") == [("$0.00",)] and run("cost_by_model") == []
            cur.execute(f"select model_name from {prices} order by model_name limit 1")
            priced = cur.fetchone()[0]
            cur.execute(
                f"select usd_per_million_prompt_tokens, usd_per_million_completion_tokens"
                f" from {prices} where model_name = %s",
                (priced,),
            )
            prompt_price, completion_price = cur.fetchone()
            yesterday = "(now() at time zone 'utc')::date - 1"
            cur.execute(
                f"insert into {costs} (metric_date, model_name, request_count, prompt_tokens,"
                f" completion_tokens) values ({yesterday}, %s, 40, 3000000, 1000000),"
                f" ({yesterday}, 'mystery-1b', 7, 500000, 500000),"
                f" ({yesterday} - 3, %s, 10, 1000000, 0)",
                (priced, priced),
            )
            day_cost = float(3 * prompt_price + completion_price)
            week_cost = day_cost + float(prompt_price)
            assert run("cost_last_day") == [
                (f"at least ${day_cost:,.2f}; no price: mystery-1b (7 requests)",)
            ]
            assert run("cost_last_7_days") == [
                (f"at least ${week_cost:,.2f}; no price: mystery-1b (7 requests)",)
            ]
            by_model = run("cost_by_model")
            assert by_model[0] == (
                "mystery-1b",
                "missing: add it to seeds/model_token_prices.csv",
                7,
                1000000,
                None,
                None,
            )
            assert by_model[1][:4] == (priced, "set", 50, 5000000)
            assert float(by_model[1][4]) == pytest.approx(week_cost)
            assert float(by_model[1][5]) == pytest.approx(day_cost)
            # priced: the plain number
            cur.execute(f"delete from {costs} where model_name = 'mystery-1b'")
            assert run("cost_last_day") == [(f"${day_cost:,.2f}",)]
    finally:
        conn.rollback()
        conn.close()


def test_the_benchmark_times_every_card_and_alert_query_of_the_publisher(
    demo_warehouse, compiled_analyses
):
    """`make bench` lists each card and alert query's time: the same set the publisher publishes
    (its validated specs), each run without failure on the demo warehouse."""
    from experiment_analytics.benchmark.postgres import time_card_queries
    from experiment_analytics.metabase.run import PublishOptions, validate_only

    specs = validate_only(
        PublishOptions(
            metabase_url="",
            warehouse=demo_warehouse,
            target_dir=compiled_analyses,
            compile=False,
        )
    )
    published = {f"{d.dashboard}.{card.key}" for d in specs.dashboards for card in d.cards}
    published |= {f"alert.{alert.key}" for alert in specs.config.alerts}
    timings, failures = time_card_queries(demo_warehouse, compiled_analyses / "manifest.json")
    assert failures == []
    assert sorted(name for name, _ in timings) == sorted(published)
    assert len(published) > 30
    assert all(seconds >= 0 for _, seconds in timings)
