"""The day-grain marts are small aggregations of the one-pass fact int_variant_days (README
"One pass, small derived facts"); here each is recomputed straight from the row-level
`generations` mart (one row per request, with its outcome) by the direct definition — a
group-by over the generations, as the marts were written before the fact existed — and
must hold the same rows: counts and sums equal, means and percentiles equal to a relative
1e-9 (the fact sums exactly and divides once; a float avg may differ in its last bits)."""

from __future__ import annotations

import pytest

from experiment_analytics.warehouse import connect

from .conftest import DemoWarehouse
from .marts import same_rows, snapshot

PRICE = """
left join analytics.model_token_prices as prices on generations.model_name = prices.model_name
"""

DIRECT_DEFINITIONS = {
    "variant_daily_metrics": """
        select
            generations.experiment_id, named.experiment_name, generations.variant_id,
            named.variant_name, named.is_control, generations.generated_date,
            count(*), count(*) filter (where is_accepted),
            count(*) filter (where is_accepted)::float8 / count(*),
            sum(edit_count), sum(edit_count)::float8 / count(*),
            avg(latency_ms),
            percentile_cont(0.5) within group (order by latency_ms),
            percentile_cont(0.95) within group (order by latency_ms),
            percentile_cont(0.99) within group (order by latency_ms),
            avg(total_tokens)::float8, max(last_received_at)
        from analytics.generations
        left join analytics.variants as named on generations.variant_id = named.variant_id
        group by 1, 2, 3, 4, 5, 6
    """,
    "variant_daily_edit_counts": """
        select
            generations.experiment_id, variants.experiment_name, generations.variant_id,
            variants.variant_name, generated_date, edit_count, count(*), max(last_received_at)
        from analytics.generations
        left join analytics.variants on generations.variant_id = variants.variant_id
        group by 1, 2, 3, 4, 5, 6
    """,
    "daily_request_metrics": f"""
        select
            generated_date, count(*),
            percentile_cont(0.5) within group (order by latency_ms),
            percentile_cont(0.95) within group (order by latency_ms),
            percentile_cont(0.99) within group (order by latency_ms),
            avg(latency_ms), avg(total_tokens)::float8,
            sum(prompt_tokens), sum(completion_tokens),
            sum(
                prompt_tokens * prices.usd_per_million_prompt_tokens
                + completion_tokens * prices.usd_per_million_completion_tokens
            )::float8 / 1000000,
            max(last_received_at)
        from analytics.generations
        {PRICE}
        group by 1
    """,
    "daily_model_costs": f"""
        select
            generated_date, generations.model_name, count(*),
            sum(prompt_tokens), sum(completion_tokens),
            (
                sum(prompt_tokens) * min(prices.usd_per_million_prompt_tokens)
                + sum(completion_tokens) * min(prices.usd_per_million_completion_tokens)
            )::float8 / 1000000,
            max(last_received_at)
        from analytics.generations
        {PRICE}
        group by 1, 2
    """,
    "daily_quality_metrics": """
        select
            generated_date, generations.policy_version_id, versions.policy_version, count(*),
            count(*) filter (where is_accepted), avg(alignment_score),
            avg(constraint_respect_score), avg(diversity_score),
            count(*) filter (where is_constraint_violation), max(last_received_at)
        from analytics.generations
        left join analytics.stg_exp__policy_versions as versions
            on generations.policy_version_id = versions.policy_version_id
        group by 1, 2, 3
    """,
    "experiment_daily_events": """
        select
            by_day.experiment_id, experiments.experiment_name, event_date,
            count(*), sum(is_generation), max(last_received_at)
        from (
            select experiment_id, generated_date as event_date, 1 as is_generation,
                last_received_at
            from analytics.generations
            union all
            select experiment_id, outcome_date, 0, last_received_at
            from analytics.generations
            where outcome_date is not null
        ) as by_day
        left join analytics.experiments on by_day.experiment_id = experiments.experiment_id
        group by 1, 2, 3
    """,
}


def _rows(settings, sql: str) -> list[tuple]:
    relation = f"({sql}) as direct"
    return snapshot(settings, {"direct": relation})["direct"]


@pytest.mark.parametrize("mart", sorted(DIRECT_DEFINITIONS))
def test_the_mart_equals_its_direct_definition_over_generations(
    demo_warehouse_build: DemoWarehouse, mart: str
):
    settings = demo_warehouse_build.settings
    mart_rows = snapshot(settings, {mart: f"analytics.{mart}"})[mart]
    direct_rows = _rows(settings, DIRECT_DEFINITIONS[mart])
    assert len(mart_rows) > 10, f"{mart} holds too few rows to prove anything"
    assert same_rows(mart_rows, direct_rows), (
        f"{mart}: {len(mart_rows)} rows differ from the {len(direct_rows)} rows of its "
        f"direct definition; first differing pair: "
        f"{next(((a, b) for a, b in zip(mart_rows, direct_rows, strict=False) if a != b), None)}"
    )


def test_the_fact_is_small_beside_the_generations(demo_warehouse_build: DemoWarehouse):
    conn = connect(demo_warehouse_build.settings)
    with conn.cursor() as cur:
        cur.execute("select count(*) from analytics.generations")
        generations = cur.fetchone()[0]
        cur.execute(
            "select count(*), count(distinct (variant_id, metric_date)) "
            "from analytics.int_variant_days"
        )
        fact_rows, variant_days = cur.fetchone()
    conn.close()
    # a few rows per variant-day (outcomes x outcome days x edit counts), not one per generation
    assert variant_days > 0 and fact_rows <= 20 * variant_days < generations
