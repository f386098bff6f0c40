"""The set-based SQL that draws assignments, events and metric aggregates inside PostgreSQL.

Randomness: every draw comes from `hashint8extended(key, seed * 1024 + stream)`, whose 64 bits
give two uniforms in [0, 1); the key is a generation's global index (or a user's or unit's
number; keys stay below 2^32, all the hash mixes) and the stream names the draw. A row is
therefore a pure function of (seed, row, stream): no `random()`, no state, no dependence on
plan shape, parallel workers or the order chunks run in. Streams: 1-11 per generation, 30-31
per user, 100 + experiment id per unit (variant choice), 40-44 per user-day of activity.
"""

from __future__ import annotations

import math

from experiment_analytics.demo_data.plan import Plan, Slice
from experiment_analytics.demo_data.scenario import (
    EXPERIMENTS,
    IGNORED_SHARE,
    LATENCY_RETRY_FACTOR,
    LATENCY_RETRY_SHARE,
    LATENCY_SIGMA,
    LATENCY_USER_SIGMA,
    USER_OFFSET_HALF_WIDTH,
    VARIANT_TRUTHS,
)

# Mean of one request's latency over its user's median: lognormal spread times retries.
LATENCY_SIGMA_MEAN_FACTOR = math.exp(LATENCY_SIGMA**2 / 2) * (
    1.0 + LATENCY_RETRY_SHARE * (LATENCY_RETRY_FACTOR - 1.0)
)
# Seeds are spread this far apart so the streams of two seeds never overlap.
SEED_STRIDE = 1024
LATE_GENERATION_SHARE = 0.015
LATE_OUTCOME_SHARE = 0.01
# A late event arrives up to this many hours after it happened; appending re-draws this far back.
MAX_LATE_HOURS = 36


def _high(hash_column: str) -> str:
    """A uniform draw in [0, 1) from the high 32 bits of a 64-bit hash column."""
    return f"(({hash_column} >> 32) & 4294967295)::float8 / 4294967296.0"


def _low(hash_column: str) -> str:
    """A uniform draw in [0, 1) from the low 32 bits of a 64-bit hash column."""
    return f"({hash_column} & 4294967295)::float8 / 4294967296.0"


def _hash(key: str, stream: int | str) -> str:
    return f"hashint8extended(({key})::bigint, %(seed_base)s + {stream})"


def _normal(hash_column: str, *, sine: bool = False) -> str:
    """A standard normal draw (Box-Muller) from the two halves of one hash column; the cos
    and sin forms of one pair are independent draws."""
    trig = "sin" if sine else "cos"
    return (
        f"(sqrt(-2.0 * ln(1.0 - {_high(hash_column)})) * {trig}(2.0 * pi() * {_low(hash_column)}))"
    )


def _variant_rows() -> str:
    rows = []
    for experiment in EXPERIMENTS:
        low = 0.0
        for position, variant in enumerate(experiment.variants):
            share = (
                variant.allocation
                if variant.effective_allocation is None
                else variant.effective_allocation
            )
            high = 2.0 if position == len(experiment.variants) - 1 else low + share
            truth = VARIANT_TRUTHS[variant.id]
            policy = variant.policy
            completion = policy.model.completion_tokens_median * policy.completion_tokens_factor
            rows.append(
                f"({experiment.id}, {variant.id}, {low!r}::float8, {high!r}::float8,"
                f" {policy.id}, {truth.acceptance_rate!r}::float8, {policy.edit_share!r}::float8,"
                f" {policy.extra_edit_scale!r}::float8, {truth.latency_median_ms!r}::float8,"
                f" {policy.constraint_violation_rate!r}::float8,"
                f" {policy.alignment_mean!r}::float8, {policy.diversity_mean!r}::float8,"
                f" {completion!r}::float8)"
            )
            low = high
    return ",\n                ".join(rows)


# The users of every experiment that has traffic, with their variant and their own propensities.
# Each connection that draws events keeps a copy as a temporary table (small: ~1 row per 10
# generations); exp.assignments is filled from it.
UNITS_SQL = f"""
create temporary table demo_units on commit preserve rows as
with
    experiment_units as (
        select *
        from unnest(
            %(experiment_ids)s::integer[], %(started_ats)s::timestamptz[],
            %(ramp_seconds)s::float8[], %(unit_counts)s::integer[], %(user_offsets)s::integer[]
        ) as e (experiment_id, started_at, ramp_seconds, unit_count, user_offset)
    ),
    variants as (
        select *
        from (values
                {_variant_rows()}
        ) as v (
            experiment_id, variant_id, allocation_from, allocation_to, policy_version_id,
            acceptance_rate, edit_share, extra_edit_scale, latency_median_ms, violation_rate,
            alignment_mean, diversity_mean, completion_tokens_median
        )
    ),
    unit_hashes as (
        select
            e.experiment_id,
            k.unit_index,
            e.unit_count,
            -- Users take part in several experiments: unit k of an experiment is user
            -- (offset + k) of a shared pool, and user-level traits hash the user number.
            mod(e.user_offset + k.unit_index - 1, %(user_pool)s) + 1 as user_number,
            {_hash("k.unit_index", "100 + e.experiment_id")} as variant_hash,
            -- Enrollment is linear over the ramp, and truncated to the second.
            date_trunc(
                'second',
                e.started_at
                + e.ramp_seconds * (k.unit_index - 1) / e.unit_count * interval '1 second'
            ) as assigned_at
        from experiment_units as e
        cross join lateral generate_series(1, e.unit_count) as k (unit_index)
    ),
    user_hashes as (
        select
            u.*,
            {_hash("u.user_number", 30)} as propensity_hash,
            {_hash("u.user_number", 31)} as latency_hash
        from unit_hashes as u
        offset 0
    )
select
    u.experiment_id,
    u.unit_index,
    v.variant_id,
    'user-' || lpad(u.user_number::text, 7, '0') as unit_id,
    u.assigned_at,
    v.policy_version_id,
    least(
        0.999, greatest(0.0,
        v.acceptance_rate + {USER_OFFSET_HALF_WIDTH} * (2.0 * {_high("u.propensity_hash")} - 1.0)
    )) as keep_probability,
    v.edit_share,
    v.extra_edit_scale,
    v.latency_median_ms * exp({LATENCY_USER_SIGMA} * {_normal("u.latency_hash")})
        as user_latency_median_ms,
    v.violation_rate,
    v.alignment_mean,
    v.diversity_mean,
    v.completion_tokens_median
from user_hashes as u
inner join variants as v
    on u.experiment_id = v.experiment_id
    and {_high("u.variant_hash")} >= v.allocation_from
    and {_high("u.variant_hash")} < v.allocation_to
"""

ASSIGNMENTS_SQL = """
insert into exp.assignments (experiment_id, variant_id, unit_id, assigned_at)
select experiment_id, variant_id, unit_id, assigned_at
from demo_units
"""


def events_sql() -> str:
    hashes = ",\n            ".join(
        f"{_hash('s.first_generation + n.offset_in_slice', stream)} as h{stream}"
        for stream in range(1, 12)
    )
    return f"""
insert into exp.events (
    id, event_type, experiment_id, variant_id, unit_id, request_id, occurred_at, received_at,
    policy_version_id, latency_ms, prompt_tokens, completion_tokens, constraint_respect_score,
    alignment_score, diversity_score, edit_count
)
with
    slices as (
        select *
        from unnest(
            %(experiment_ids)s::integer[], %(window_starts)s::timestamptz[],
            %(window_seconds)s::float8[], %(first_generations)s::bigint[],
            %(generation_counts)s::integer[], %(started_ats)s::timestamptz[],
            %(ramp_seconds)s::float8[], %(unit_counts)s::integer[]
        ) as s (
            experiment_id, window_start, window_seconds, first_generation, generation_count,
            started_at, ramp_seconds, unit_count
        )
    ),
    generation_hashes as (
        -- Every draw of a generation comes from 11 seeded hashes of its global index (two
        -- 32-bit uniforms each). OFFSET 0 keeps each hash computed once per row.
        select
            s.experiment_id,
            s.unit_count,
            s.started_at,
            s.ramp_seconds,
            s.window_start,
            s.window_seconds,
            s.first_generation + n.offset_in_slice as generation_index,
            {hashes}
        from slices as s
        cross join lateral generate_series(0, s.generation_count - 1) as n (offset_in_slice)
        offset 0
    ),
    generations_timed as (
        select
            h.*,
            h.window_start + h.window_seconds * {_high("h.h1")} * interval '1 second'
                as occurred_at
        from generation_hashes as h
        offset 0
    ),
    generations_of_units as (
        -- Only enrolled users generate: at time t the enrolled users are units
        -- 1 .. unit_count * (t - start) / ramp, so assignment always precedes the first event.
        select
            t.*,
            least(
                t.unit_count,
                1 + floor(
                    {_low("t.h1")} * t.unit_count * least(
                        1.0, extract(epoch from t.occurred_at - t.started_at) / t.ramp_seconds
                    )
                )::integer
            ) as unit_index
        from generations_timed as t
    ),
    generations_drawn as materialized (
        select
            g.generation_index,
            g.experiment_id,
            u.variant_id,
            u.policy_version_id,
            u.unit_id,
            md5(%(seed)s::text || ':' || g.generation_index::text)::uuid as request_id,
            g.occurred_at,
            g.occurred_at + (
                0.05 - 0.4 * ln(1.0 - {_high("g.h9")})
                + case when {_low("g.h9")} < {LATE_GENERATION_SHARE}
                    then 3600.0 * (1.0 + {MAX_LATE_HOURS - 1}.0 * ({_high("g.h10")}) ^ 2)
                    else 0.0 end
            ) * interval '1 second' as received_at,
            round(10.0 * u.user_latency_median_ms * exp({LATENCY_SIGMA} * {_normal("g.h4")})
                * case when {_high("g.h5")} < {LATENCY_RETRY_SHARE}
                    then {LATENCY_RETRY_FACTOR} else 1.0 end
            ) / 10.0 as latency_ms,
            greatest(8, round(450.0 * exp(0.7 * {_normal("g.h4", sine=True)})))::integer
                as prompt_tokens,
            greatest(1, round(u.completion_tokens_median * exp(0.5 * {_normal("g.h8")})))
                ::integer as completion_tokens,
            case when {_low("g.h5")} < u.violation_rate
                then round(300.0 + 650.0 * {_high("g.h6")}) / 1000.0
                else 1.0 end as constraint_respect_score,
            round(10000.0 * least(1.0, greatest(0.0,
                u.alignment_mean + 0.08 * {_normal("g.h7")}))) / 10000.0 as alignment_score,
            round(10000.0 * least(1.0, greatest(0.0,
                u.diversity_mean + 0.12 * {_normal("g.h7", sine=True)}))) / 10000.0
                as diversity_score,
            case
                when {_high("g.h2")} < u.keep_probability
                    then case when {_low("g.h2")} < u.edit_share then 'edited' else 'accepted' end
                when {_low("g.h3")} < {IGNORED_SHARE} then null
                else 'rejected'
            end as outcome_type,
            1 + floor(-u.extra_edit_scale * ln(1.0 - {_high("g.h3")}))::integer as edits,
            g.occurred_at
            + least(3600.0, 2.0 - 20.0 * ln(1.0 - {_low("g.h6")})) * interval '1 second'
                as outcome_at,
            0.05 - 0.4 * ln(1.0 - {_low("g.h10")})
            + case when {_high("g.h11")} < {LATE_OUTCOME_SHARE}
                then 3600.0 * (1.0 + 23.0 * ({_low("g.h11")}) ^ 2)
                else 0.0 end as outcome_receive_seconds
        from generations_of_units as g
        inner join demo_units as u
            on g.experiment_id = u.experiment_id
            and g.unit_index = u.unit_index
        offset 0
    ),
    events as (
        select
            2 * g.generation_index - 1 as id,
            'generation' as event_type,
            g.experiment_id,
            g.variant_id,
            g.unit_id,
            g.request_id,
            g.occurred_at,
            g.received_at,
            g.policy_version_id,
            g.latency_ms,
            g.prompt_tokens,
            g.completion_tokens,
            g.constraint_respect_score,
            g.alignment_score,
            g.diversity_score,
            null::integer as edit_count
        from generations_drawn as g
        union all
        select
            2 * g.generation_index as id,
            g.outcome_type as event_type,
            g.experiment_id,
            g.variant_id,
            g.unit_id,
            g.request_id,
            g.outcome_at as occurred_at,
            -- An outcome is stored no earlier than its generation.
            greatest(
                g.outcome_at + g.outcome_receive_seconds * interval '1 second', g.received_at
            ) as received_at,
            null as policy_version_id,
            null as latency_ms,
            null as prompt_tokens,
            null as completion_tokens,
            null as constraint_respect_score,
            null as alignment_score,
            null as diversity_score,
            case when g.outcome_type = 'edited' then g.edits end as edit_count
        from generations_drawn as g
        where g.outcome_type is not null
    )
select *
from events
where
    received_at > %(received_after)s
    and received_at <= %(received_until)s
"""


def slice_params(plan: Plan, slices: list[Slice]) -> dict[str, list]:
    windows = [plan.windows[s.experiment_id] for s in slices]
    return {
        "experiment_ids": [s.experiment_id for s in slices],
        "window_starts": [s.window_start for s in slices],
        "window_seconds": [(s.window_end - s.window_start).total_seconds() for s in slices],
        "first_generations": [s.first_generation for s in slices],
        "generation_counts": [s.generation_count for s in slices],
        "started_ats": [w.started_at for w in windows],
        "ramp_seconds": [w.ramp_seconds for w in windows],
        "unit_counts": [w.unit_count for w in windows],
    }


def unit_params(plan: Plan) -> dict[str, list]:
    windows = list(plan.windows.values())
    return {
        "experiment_ids": [w.experiment_id for w in windows],
        "started_ats": [w.started_at for w in windows],
        "ramp_seconds": [w.ramp_seconds for w in windows],
        "unit_counts": [w.unit_count for w in windows],
        "user_offsets": [w.user_offset for w in windows],
    }


# One UTC day of metric aggregates (its hourly buckets and its daily bucket), from exp.events.
METRIC_AGGREGATES_SQL = """
insert into exp.metric_aggregates (
    bucket_start, bucket_type, experiment_id, variant_id, metric_name, mean, count, variance,
    computed_at
)
with
    generations as (
        select
            request_id,
            experiment_id,
            variant_id,
            occurred_at,
            received_at,
            latency_ms,
            (prompt_tokens + completion_tokens)::float8 as tokens,
            constraint_respect_score,
            alignment_score,
            diversity_score
        from exp.events
        where
            event_type = 'generation'
            and occurred_at >= %(day_start)s
            and occurred_at < %(day_start)s + interval '1 day'
    ),
    outcomes as (
        select
            request_id,
            event_type,
            edit_count,
            received_at
        from exp.events
        where
            event_type in ('accepted', 'edited', 'rejected')
            -- an outcome follows its generation by at most an hour
            and occurred_at >= %(day_start)s
            and occurred_at < %(day_start)s + interval '1 day 2 hours'
    ),
    generations_with_outcomes as (
        select
            g.*,
            o.event_type as outcome_type,
            o.edit_count,
            o.received_at as outcome_received_at
        from generations as g
        left join outcomes as o on g.request_id = o.request_id
    ),
    buckets as (
        select
            'hourly' as bucket_type,
            date_trunc('hour', occurred_at) as bucket_start,
            interval '1 hour' as bucket_length,
            *
        from generations_with_outcomes
        union all
        select
            'daily' as bucket_type,
            date_trunc('day', occurred_at) as bucket_start,
            interval '1 day' as bucket_length,
            *
        from generations_with_outcomes
    ),
    buckets_computed as (
        -- The pipeline computes a bucket 10 minutes after it closes (or at the end of the
        -- data for the open ones) and sees only the events received by then.
        select
            b.*,
            least(b.bucket_start + b.bucket_length + interval '10 minutes', %(computed_until)s)
                as computed_at
        from buckets as b
    ),
    per_generation as (
        select
            b.*,
            case
                when b.outcome_received_at <= b.computed_at
                    and b.outcome_type in ('accepted', 'edited')
                    then 1.0
                else 0.0
            end::float8 as is_accepted,
            case
                when b.outcome_received_at <= b.computed_at then coalesce(b.edit_count, 0)
                else 0
            end::float8 as edits
        from buckets_computed as b
        where b.received_at <= b.computed_at
    ),
    aggregated as (
        -- Every stored value is a multiple of 10^-k (latency 0.1 ms, scores 0.001 or 0.0001),
        -- so its scaled integer is exact and the int4 sums below are too: the result does not
        -- depend on the order rows are read in (float sums would), so reruns are identical.
        select
            bucket_type,
            bucket_start,
            experiment_id,
            variant_id,
            computed_at,
            count(*) as generation_count,
            avg(is_accepted::int4)::float8 as acceptance_mean,
            var_samp(is_accepted::int4)::float8 as acceptance_variance,
            avg(edits::int4)::float8 as edits_mean,
            var_samp(edits::int4)::float8 as edits_variance,
            (avg(round(latency_ms * 10.0)::int4) / 10.0)::float8 as latency_mean,
            (var_samp(round(latency_ms * 10.0)::int4) / 100.0)::float8 as latency_variance,
            percentile_cont(array[0.5, 0.95, 0.99]) within group (order by latency_ms)
                as latency_percentiles,
            avg(tokens::int4)::float8 as tokens_mean,
            var_samp(tokens::int4)::float8 as tokens_variance,
            (avg(round(constraint_respect_score * 1000.0)::int4) / 1000.0)::float8
                as constraint_mean,
            (var_samp(round(constraint_respect_score * 1000.0)::int4) / 1000000.0)::float8
                as constraint_variance,
            (avg(round(alignment_score * 10000.0)::int4) / 10000.0)::float8 as alignment_mean,
            (var_samp(round(alignment_score * 10000.0)::int4) / 100000000.0)::float8
                as alignment_variance,
            (avg(round(diversity_score * 10000.0)::int4) / 10000.0)::float8 as diversity_mean,
            (var_samp(round(diversity_score * 10000.0)::int4) / 100000000.0)::float8
                as diversity_variance
        from per_generation
        group by 1, 2, 3, 4, 5
    )
select
    a.bucket_start,
    a.bucket_type,
    a.experiment_id,
    a.variant_id,
    m.metric_name,
    m.mean,
    a.generation_count,
    m.variance,
    a.computed_at
from aggregated as a
cross join lateral (values
    ('acceptance_rate', a.acceptance_mean, a.acceptance_variance),
    ('edit_count', a.edits_mean, a.edits_variance),
    ('latency_ms', a.latency_mean, a.latency_variance),
    ('latency_p50', a.latency_percentiles[1], null),
    ('latency_p95', a.latency_percentiles[2], null),
    ('latency_p99', a.latency_percentiles[3], null),
    ('tokens_per_request', a.tokens_mean, a.tokens_variance),
    ('constraint_respect_score', a.constraint_mean, a.constraint_variance),
    ('alignment_score', a.alignment_mean, a.alignment_variance),
    ('diversity_score', a.diversity_mean, a.diversity_variance)
) as m (metric_name, mean, variance)
"""


# The users' own activity before and around the experiments (exp.unit_daily_activity, the
# pre-period CUPED adjusts on): every user of the pool, every day from %(first_day)s to the day
# before %(end_at)s, active on ACTIVE_DAY_SHARE of the days with 1 + floor(Exponential(5))
# generations, served by the baseline policy (pv-2026.08.3 on orion-8b). The user's own traits
# (the keep-probability offset, stream 30, and the latency factor, stream 31) are the ones their
# experiment units have, so pre- and in-experiment values of a unit are correlated (about 0.6
# for acceptance); the day's sums are drawn directly (normal approximations of the binomial and
# lognormal sums), streams 40-44 of the key user_number * 64 + day.
ACTIVE_DAY_SHARE = 0.7
UNIT_DAILY_ACTIVITY_SQL = f"""
insert into exp.unit_daily_activity (
    unit_id, activity_date, generation_count, accepted_count, edit_count, token_measured_count,
    total_tokens, latency_measured_count, latency_ms_sum, constraint_respect_scored_count,
    constraint_respect_score_sum, alignment_scored_count, alignment_score_sum,
    diversity_scored_count, diversity_score_sum
)
with
    users as (
        select
            u.user_number,
            least(0.999, greatest(0.0,
                0.40 + {USER_OFFSET_HALF_WIDTH} * (2.0 * {_high(_hash("u.user_number", 30))} - 1.0)
            )) as keep_probability,
            620.0 * exp({LATENCY_USER_SIGMA} * {_normal(_hash("u.user_number", 31))})
                as user_latency_median_ms
        from generate_series(1, %(user_pool)s) as u (user_number)
    ),
    user_days as (
        select
            users.*,
            d.day_number,
            (%(first_day)s::date + d.day_number) as activity_date,
            {_hash("users.user_number * 64 + d.day_number", 40)} as h40,
            {_hash("users.user_number * 64 + d.day_number", 41)} as h41,
            {_hash("users.user_number * 64 + d.day_number", 42)} as h42,
            {_hash("users.user_number * 64 + d.day_number", 43)} as h43,
            {_hash("users.user_number * 64 + d.day_number", 44)} as h44
        from users
        cross join generate_series(
            0, (%(end_at)s::timestamptz at time zone 'UTC')::date - %(first_day)s::date - 1
        ) as d (day_number)
        offset 0
    ),
    active_days as (
        select
            user_days.*,
            least(40, 1 + floor(-5.0 * ln(1.0 - {_low("h40")})))::integer as n
        from user_days
        where {_high("h40")} < {ACTIVE_DAY_SHARE}
    ),
    drawn as (
        select
            a.*,
            least(a.n, greatest(0, round(
                a.n * a.keep_probability
                + sqrt(a.n * a.keep_probability * (1.0 - a.keep_probability)) * {_normal("a.h41")}
            )))::integer as accepted,
            least(a.n, greatest(0, round(a.n * 0.005 + sqrt(a.n * 0.005) * {_normal("a.h43")})))
                ::integer as violations
        from active_days as a
    )
select
    'user-' || lpad(user_number::text, 7, '0'),
    activity_date,
    n,
    accepted,
    greatest(0, round(accepted * 0.35 * 2.055 + sqrt(accepted * 0.35) * 1.6
        * {_normal("h41", sine=True)}))::integer,
    n,
    round(n * 888.0 * exp(0.5 * {_normal("h42", sine=True)} / sqrt(n)))::bigint,
    n,
    round(10.0 * n * user_latency_median_ms * {LATENCY_SIGMA_MEAN_FACTOR!r}
        * exp({LATENCY_SIGMA} * {_normal("h42")} / sqrt(n))) / 10.0,
    n,
    n - violations * 0.375,
    n,
    round(10000.0 * n * (0.81 + 0.08 * {_normal("h43", sine=True)} / sqrt(n))) / 10000.0,
    n,
    round(10000.0 * n * (0.57 + 0.12 * {_normal("h44")} / sqrt(n))) / 10000.0
from drawn
"""
