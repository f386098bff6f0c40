"""The benchmark's baseline: the per-variant-per-day aggregates of the marts with latency
percentiles (`percentile_cont`), computed by hand in one statement that reads exp.events once
(outcomes meet their generation in the per-request step). One text for both engines; only the
table's creation and the UTC day of a timestamp are spelled per engine (Spark's session time
zone is UTC)."""

from __future__ import annotations

_CREATE = {
    "postgres": "create table benchmark_baseline.variant_daily_metrics as",
    "spark": "create table benchmark_baseline.variant_daily_metrics using parquet as",
}
_UTC_DAY = {
    "postgres": "cast(generated_at at time zone 'UTC' as date)",
    "spark": "to_date(generated_at)",
}

_SELECT = """
with
    requests as (
        select
            request_id,
            min(experiment_id) as experiment_id,
            min(variant_id) as variant_id,
            min(occurred_at) filter (where event_type = 'generation') as generated_at,
            max(latency_ms) as latency_ms,
            max(prompt_tokens + completion_tokens) as tokens,
            max(constraint_respect_score) as constraint_respect_score,
            bool_or(event_type in ('accepted', 'edited')) as is_accepted,
            coalesce(max(edit_count), 0) as edit_count
        from exp.events
        group by request_id
    )
select
    experiment_id,
    variant_id,
    {utc_day} as metric_date,
    count(*) as generation_count,
    avg(cast(is_accepted as int)) as acceptance_rate,
    var_samp(cast(is_accepted as int)) as acceptance_rate_variance,
    avg(edit_count) as edits_per_generation,
    avg(latency_ms) as avg_latency_ms,
    percentile_cont(0.5) within group (order by latency_ms) as latency_p50_ms,
    percentile_cont(0.95) within group (order by latency_ms) as latency_p95_ms,
    percentile_cont(0.99) within group (order by latency_ms) as latency_p99_ms,
    avg(tokens) as tokens_per_request,
    avg(constraint_respect_score) as avg_constraint_respect_score,
    count(*) filter (where constraint_respect_score < 1) as constraint_violation_count
from requests
where generated_at is not null
group by 1, 2, 3
"""


def baseline_sql(engine: str) -> str:
    """The baseline statement for `engine` ("postgres" or "spark")."""
    return _CREATE[engine] + _SELECT.format(utc_day=_UTC_DAY[engine])
