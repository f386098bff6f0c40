"""Same seed, size and end: identical tables. Another seed: different data."""

from __future__ import annotations

import pytest
from demo_data_params import END_AT, EVENTS, SEED

from experiment_analytics.warehouse.source_contract import SOURCE_TABLES

ORDER = {
    "policy_versions": "id",
    "experiments": "id",
    "variants": "id",
    "assignments": "experiment_id, unit_id",
    "events": "id",
    "metric_aggregates": "bucket_type, bucket_start, experiment_id, variant_id, metric_name",
    "offline_evaluations": "id",
    "unit_daily_activity": "unit_id, activity_date",
}


def checksums(sql) -> dict[str, tuple[int, str]]:
    result = {}
    for table in SOURCE_TABLES:
        result[table] = sql(
            f"select count(*), md5(coalesce(string_agg(t::text, '|' order by {ORDER[table]}), ''))"
            f" from exp.{table} as t"
        )[0]
    return result


@pytest.fixture(scope="module")
def same_seed_again(make_demo):
    return make_demo(events=EVENTS, seed=SEED, end_at=END_AT)


@pytest.fixture(scope="module")
def other_seed(make_demo):
    return make_demo(events=EVENTS, seed=SEED + 1, end_at=END_AT)


def test_same_seed_gives_identical_tables(demo_data, same_seed_again):
    first, second = checksums(demo_data), checksums(same_seed_again)
    assert all(count > 0 for count, _ in first.values()), first
    assert first == second


def test_other_seed_gives_different_rows(demo_data, other_seed):
    first, other = checksums(demo_data), checksums(other_seed)
    for table in (
        "assignments",
        "events",
        "metric_aggregates",
        "offline_evaluations",
        "unit_daily_activity",
    ):
        assert first[table][1] != other[table][1], table
    # The cast (experiments, variants, policy versions) is fixed; only the draws change.
    assert first["experiments"] == other["experiments"]


def test_size_is_close_to_what_was_asked(demo_data):
    events = demo_data.scalar("select count(*) from exp.events")
    assert abs(events - EVENTS) / EVENTS < 0.03
