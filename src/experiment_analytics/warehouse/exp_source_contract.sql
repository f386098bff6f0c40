-- The source contract: the tables the experimentation platform writes in schema `exp`.
--
-- This file is the one place their DDL lives. The platform owns these tables; this project only
-- reads them. `experiment-analytics sources create` (part of `make demo`) runs this file, which is
-- idempotent. Column meanings are documented in models/staging/exp/_exp__sources.yml.
--
-- Constraints: primary keys, not-null, enum and range checks are declared here on the small
-- dimension tables. The two high-volume logs (events, metric_aggregates) carry only their keys
-- and types, as an append-only log would; every cross-table rule (relationships, one assignment
-- per unit, outcome after generation, ...) is checked by dbt data tests, because many warehouses
-- do not enforce constraints at all and the tests must hold there too.

create schema if not exists exp;

create table if not exists exp.policy_versions (
    id integer primary key,
    version text not null unique,              -- human label, e.g. 'pv-2026.10.2'
    model_name text not null,                  -- the underlying LLM, e.g. 'orion-8b'
    model_version text not null,               -- the LLM's own version string
    status text not null
        check (status in ('candidate', 'shadow', 'active', 'deprecated', 'rolled_back')),
    created_at timestamptz not null
);

create table if not exists exp.experiments (
    id integer primary key,
    name text not null unique,
    description text,
    hypothesis text,
    status text not null check (status in ('draft', 'active', 'paused', 'completed')),
    primary_metric text not null,              -- a metric name, e.g. 'acceptance_rate'
    started_at timestamptz,                    -- null while draft
    ended_at timestamptz,                      -- set when completed
    created_at timestamptz not null
);

create table if not exists exp.variants (
    id integer primary key,
    experiment_id integer not null references exp.experiments (id),
    name text not null,
    is_control boolean not null,
    allocation numeric(7, 6) not null check (allocation >= 0 and allocation <= 1),
    policy_version_id integer not null references exp.policy_versions (id),
    created_at timestamptz not null,
    unique (experiment_id, name)
);

create table if not exists exp.assignments (
    experiment_id integer not null,
    variant_id integer not null,
    unit_id text not null,                     -- the randomised unit: a user id
    assigned_at timestamptz not null
);

-- One row per event. A request produces one `generation` event, then at most one outcome:
--   accepted  the user kept the completion unchanged
--   edited    the user kept it after editing it (edit_count >= 1)
--   rejected  the user discarded it
-- A generation with no outcome was ignored. Generation-only columns are null on outcomes.
create table if not exists exp.events (
    id bigint not null,
    event_type text not null,                  -- generation | accepted | edited | rejected
    experiment_id integer not null,
    variant_id integer not null,
    unit_id text not null,
    request_id uuid not null,
    occurred_at timestamptz not null,          -- when it happened (client clock, UTC)
    received_at timestamptz not null,          -- when the platform stored it (late events: > occurred_at)
    policy_version_id integer,                 -- generation only
    latency_ms double precision,               -- generation only
    prompt_tokens integer,                     -- generation only
    completion_tokens integer,                 -- generation only
    constraint_respect_score double precision, -- generation only, [0, 1]; 1 = every constraint respected
    alignment_score double precision,          -- generation only, [0, 1]
    diversity_score double precision,          -- generation only, [0, 1]
    edit_count integer                         -- edited only
);

-- The upstream pipeline's aggregates: one row per bucket x experiment x variant x metric.
-- Means are over generations in the bucket (by occurred_at); `variance` is the sample variance
-- of the per-generation values, so count/mean/variance recombine exactly across buckets.
-- For percentile metrics (latency_p50/p95/p99) `mean` holds the percentile and variance is null.
create table if not exists exp.metric_aggregates (
    bucket_start timestamptz not null,
    bucket_type text not null,                 -- hourly | daily
    experiment_id integer not null,
    variant_id integer not null,
    metric_name text not null,
    mean double precision,
    count bigint not null,
    variance double precision,
    computed_at timestamptz not null
);

create table if not exists exp.offline_evaluations (
    id integer primary key,
    policy_version_id integer not null references exp.policy_versions (id),
    evaluation_run_id text not null,
    dataset_name text not null,
    evaluated_at timestamptz not null,
    alignment_score double precision not null,
    constraint_respect_score double precision not null,
    diversity_score double precision not null,
    predicted_acceptance_rate double precision not null,
    sample_count integer not null check (sample_count > 0),
    unique (policy_version_id, evaluation_run_id)
);

-- Indexes a platform would keep for its own reads; incremental models read by time.
-- occurred_at includes experiment_id: every build counts the events per day x experiment from
-- this index alone (an index-only scan; models/intermediate/event_log/int_event_log_days.sql).
create index if not exists events_occurred_at_idx on exp.events (occurred_at) include (experiment_id);
create index if not exists events_received_at_idx on exp.events (received_at);
-- id and request_id: an incremental build checks the events of the days it rebuilds against
-- all history (a reused event id or request id, an outcome's generation) by these lookups,
-- and rebuilds the other days those ids touch (models/intermediate/event_log/).
create index if not exists events_id_idx on exp.events (id);
create index if not exists events_request_id_idx on exp.events (request_id);
create index if not exists metric_aggregates_bucket_idx
    on exp.metric_aggregates (bucket_type, bucket_start);

-- Optional experiment plan (added after the first version of the contract, hence ALTER ... IF NOT
-- EXISTS; a platform may leave them null or not have them at all: staging fills null then).
--   planned_end_at        when the experiment is planned to end: from then on (the analysed data
--                         reaching that UTC day) its verdicts are fixed-horizon; before, anytime-valid
--   planned_unit_count    the planned sample size in units (all arms): reaching it also ends the
--                         sequential phase
--   target_relative_effect the relative effect on the primary metric the experiment is sized to
--                         detect (e.g. 0.05 = 5 %); null: var statistics_target_relative_effect
-- Without a plan an experiment is analysed sequentially for its whole life (always valid).
alter table exp.experiments add column if not exists planned_end_at timestamptz;
alter table exp.experiments add column if not exists planned_unit_count integer
    check (planned_unit_count > 0);
alter table exp.experiments add column if not exists target_relative_effect double precision
    check (target_relative_effect > 0);

-- Optional pre-period: the platform's per-user daily activity over ALL its traffic (inside and
-- outside experiments), the same sufficient statistics as the experiment metrics. CUPED uses
-- each unit's activity in the var statistics_cuped_pre_period_days (14) days before its
-- assignment. Empty or absent: no variance reduction, results unchanged.
create table if not exists exp.unit_daily_activity (
    unit_id text not null,
    activity_date date not null,                    -- UTC day
    generation_count bigint not null check (generation_count >= 0),
    accepted_count bigint not null,                 -- kept (accepted or edited)
    edit_count bigint not null,                     -- edits summed
    token_measured_count bigint not null,           -- generations with both token counts
    total_tokens bigint not null,
    latency_measured_count bigint not null,         -- generations with a latency
    latency_ms_sum double precision not null,
    constraint_respect_scored_count bigint not null,
    constraint_respect_score_sum double precision not null,
    alignment_scored_count bigint not null,
    alignment_score_sum double precision not null,
    diversity_scored_count bigint not null,
    diversity_score_sum double precision not null,
    primary key (unit_id, activity_date)
);
