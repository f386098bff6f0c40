-- The source contract on Apache Spark (dbt-spark): the same tables, columns and meanings as
-- exp_source_contract.sql (the PostgreSQL DDL, which documents each column), as Spark tables.
--
-- What differs, and why:
-- - Types: text -> string, timestamptz -> timestamp (Spark's timestamp is an instant; the
--   profile's session time zone is UTC), uuid -> string, double precision -> double.
-- - No constraints: Spark enforces neither keys nor checks; every rule is a dbt data test, the
--   same tests as on PostgreSQL.
-- - exp.events is partitioned by `occurred_date`, the UTC day of occurred_at, written by the
--   platform with each event (one more column than on PostgreSQL): the day-by-day models read
--   and rewrite whole days, and a scan of some days reads only their files.
-- - No indexes (Spark has none); lookups by id and request_id are joins.
-- The optional plan columns of exp.experiments and the optional exp.unit_daily_activity are
-- declared here; a platform may lack them (staging fills nulls, as on PostgreSQL).
--
-- `experiment-analytics spark load-demo` runs these statements (idempotent) through dbt's
-- Spark connection, then loads the demo data set into the tables.

create database if not exists exp;

create table if not exists exp.policy_versions (
    id int,
    version string,
    model_name string,
    model_version string,
    status string,
    created_at timestamp
) using parquet;

create table if not exists exp.experiments (
    id int,
    name string,
    description string,
    hypothesis string,
    status string,
    primary_metric string,
    started_at timestamp,
    ended_at timestamp,
    created_at timestamp,
    planned_end_at timestamp,
    planned_unit_count int,
    target_relative_effect double
) using parquet;

create table if not exists exp.variants (
    id int,
    experiment_id int,
    name string,
    is_control boolean,
    allocation decimal(7, 6),
    policy_version_id int,
    created_at timestamp
) using parquet;

create table if not exists exp.assignments (
    experiment_id int,
    variant_id int,
    unit_id string,
    assigned_at timestamp
) using parquet;

create table if not exists exp.events (
    id bigint,
    event_type string,
    experiment_id int,
    variant_id int,
    unit_id string,
    request_id string,
    occurred_at timestamp,
    received_at timestamp,
    policy_version_id int,
    latency_ms double,
    prompt_tokens int,
    completion_tokens int,
    constraint_respect_score double,
    alignment_score double,
    diversity_score double,
    edit_count int,
    occurred_date date
) using parquet partitioned by (occurred_date);

create table if not exists exp.metric_aggregates (
    bucket_start timestamp,
    bucket_type string,
    experiment_id int,
    variant_id int,
    metric_name string,
    mean double,
    count bigint,
    variance double,
    computed_at timestamp
) using parquet;

create table if not exists exp.offline_evaluations (
    id int,
    policy_version_id int,
    evaluation_run_id string,
    dataset_name string,
    evaluated_at timestamp,
    alignment_score double,
    constraint_respect_score double,
    diversity_score double,
    predicted_acceptance_rate double,
    sample_count int
) using parquet;

create table if not exists exp.unit_daily_activity (
    unit_id string,
    activity_date date,
    generation_count bigint,
    accepted_count bigint,
    edit_count bigint,
    token_measured_count bigint,
    total_tokens bigint,
    latency_measured_count bigint,
    latency_ms_sum double,
    constraint_respect_scored_count bigint,
    constraint_respect_score_sum double,
    alignment_scored_count bigint,
    alignment_score_sum double,
    diversity_scored_count bigint,
    diversity_score_sum double
) using parquet;
