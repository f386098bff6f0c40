"""exp.metric_aggregates is what the upstream pipeline would compute from exp.events."""

from __future__ import annotations

import numpy as np
import pytest
from demo_data_params import END_AT

REQUIRED_METRICS = {
    "acceptance_rate",
    "edit_count",
    "latency_ms",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "tokens_per_request",
    "constraint_respect_score",
    "alignment_score",
    "diversity_score",
}

# Recomputed independently of the generator's SQL: per bucket, the generations that occurred
# in it and had been received when the bucket was computed, with their outcome if that had
# been received too.
RECOMPUTED_SQL = """
with
    buckets as (
        select distinct bucket_type, bucket_start, experiment_id, variant_id, computed_at
        from exp.metric_aggregates
    ),
    visible as (
        select
            b.bucket_type, b.bucket_start, b.experiment_id, b.variant_id,
            g.latency_ms,
            (g.prompt_tokens + g.completion_tokens)::float8 as tokens,
            g.alignment_score,
            case when o.event_type in ('accepted', 'edited') then 1.0 else 0.0 end as accepted,
            coalesce(o.edit_count, 0)::float8 as edits
        from buckets as b
        inner join exp.events as g
            on g.event_type = 'generation'
            and g.experiment_id = b.experiment_id and g.variant_id = b.variant_id
            and g.occurred_at >= b.bucket_start
            and g.occurred_at < b.bucket_start
                + case b.bucket_type when 'hourly' then interval '1 hour' else interval '1 day' end
            and g.received_at <= b.computed_at
        left join exp.events as o
            on o.request_id = g.request_id and o.event_type <> 'generation'
            and o.received_at <= b.computed_at
    )
select
    bucket_type, bucket_start, experiment_id, variant_id,
    count(*),
    avg(accepted)::float8, var_samp(accepted)::float8,
    avg(edits), avg(latency_ms), var_samp(latency_ms),
    percentile_cont(0.95) within group (order by latency_ms),
    avg(tokens), avg(alignment_score)
from visible
group by 1, 2, 3, 4
"""

PIVOT_SQL = """
select
    bucket_type, bucket_start, experiment_id, variant_id,
    max(count),
    max(mean) filter (where metric_name = 'acceptance_rate'),
    max(variance) filter (where metric_name = 'acceptance_rate'),
    max(mean) filter (where metric_name = 'edit_count'),
    max(mean) filter (where metric_name = 'latency_ms'),
    max(variance) filter (where metric_name = 'latency_ms'),
    max(mean) filter (where metric_name = 'latency_p95'),
    max(mean) filter (where metric_name = 'tokens_per_request'),
    max(mean) filter (where metric_name = 'alignment_score')
from exp.metric_aggregates
group by 1, 2, 3, 4
"""


@pytest.mark.slow
def test_every_bucket_reconciles_with_the_events(demo_data):
    stored = {row[:4]: row[4:] for row in demo_data(PIVOT_SQL)}
    recomputed = {row[:4]: row[4:] for row in demo_data(RECOMPUTED_SQL)}
    assert len(stored) > 1000
    assert stored.keys() == recomputed.keys()
    keys = sorted(stored)
    a = np.array([[np.nan if v is None else float(v) for v in stored[k]] for k in keys])
    b = np.array([[np.nan if v is None else float(v) for v in recomputed[k]] for k in keys])
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_every_bucket_has_every_metric_with_count_and_variance_rules(demo_data):
    rows = demo_data(
        "select bucket_type, metric_name, count(*), min(count),"
        " count(*) filter (where variance is null)"
        " from exp.metric_aggregates group by 1, 2"
    )
    by_type: dict[str, dict[str, tuple]] = {}
    for bucket_type, metric, buckets, min_count, null_variances in rows:
        by_type.setdefault(bucket_type, {})[metric] = (buckets, min_count, null_variances)
    assert set(by_type) == {"hourly", "daily"}
    for metrics in by_type.values():
        assert set(metrics) == REQUIRED_METRICS
        assert len({buckets for buckets, _, _ in metrics.values()}) == 1
        for metric, (buckets, min_count, null_variances) in metrics.items():
            assert min_count >= 1
            if metric.startswith("latency_p"):
                assert null_variances == buckets
    # Variance is null only for percentiles or single-generation buckets.
    assert (
        demo_data.scalar(
            "select count(*) from exp.metric_aggregates where variance is null"
            " and metric_name not like 'latency_p%%' and count > 1"
        )
        == 0
    )


def test_daily_counts_are_the_generations_of_the_day(demo_data):
    mismatches = demo_data(
        "with daily as (select bucket_start, experiment_id, variant_id, count"
        "   from exp.metric_aggregates"
        "   where bucket_type = 'daily' and metric_name = 'acceptance_rate'"
        "   and computed_at > bucket_start + interval '1 day'),"
        " events as (select date_trunc('day', occurred_at) as bucket_start, experiment_id,"
        "   variant_id, count(*) as generations from exp.events"
        "   where event_type = 'generation' and received_at <= occurred_at + interval '1 minute'"
        "   group by 1, 2, 3)"
        " select * from daily full join events using (bucket_start, experiment_id, variant_id)"
        " where events.bucket_start < date_trunc('day', %s::timestamptz)"
        " and (daily.count is null or daily.count < events.generations)",
        (END_AT,),
    )
    # Promptly received generations are always counted (late ones may be missing).
    assert mismatches == []
