-- A small valid data set for the exp sources: every data test passes on it. The data-test
-- proofs (test_data_tests_fail.py) load it into a fresh database, then break one rule.
-- Two experiments, three variants, five units, two UTC days of events (2026-01-10 and -11),
-- every outcome (accepted, edited, rejected, none), one constraint violation, one event that
-- arrived late, and the daily metric aggregates the pipeline would compute from these events.

insert into exp.policy_versions (id, version, model_name, model_version, status, created_at) values
(1, 'pv-1', 'orion-8b', '8b-2025.12', 'deprecated', '2026-01-01 00:00:00+00'),
(2, 'pv-2', 'orion-70b', '70b-2026.01', 'active', '2026-01-05 00:00:00+00');

insert into exp.experiments
(id, name, description, hypothesis, status, primary_metric, started_at, ended_at, created_at)
values
(
    1, 'exp-a', 'larger model', 'pv-2 is accepted more', 'active', 'acceptance_rate',
    '2026-01-10 00:00:00+00', null, '2026-01-09 00:00:00+00'
),
(
    2, 'exp-b', 'baseline only', 'nothing changes', 'completed', 'acceptance_rate',
    '2026-01-10 00:00:00+00', '2026-01-12 00:00:00+00', '2026-01-09 00:00:00+00'
);

insert into exp.variants
(id, experiment_id, name, is_control, allocation, policy_version_id, created_at)
values
(1, 1, 'control', true, 0.5, 1, '2026-01-09 00:00:00+00'),
(2, 1, 'treatment', false, 0.5, 2, '2026-01-09 00:00:00+00'),
(3, 2, 'control', true, 1.0, 1, '2026-01-09 00:00:00+00');

insert into exp.assignments (experiment_id, variant_id, unit_id, assigned_at) values
(1, 1, 'u1', '2026-01-10 00:00:00+00'),
(1, 1, 'u2', '2026-01-10 00:00:00+00'),
(1, 2, 'u3', '2026-01-10 00:00:00+00'),
(1, 2, 'u4', '2026-01-10 00:00:00+00'),
(2, 3, 'u5', '2026-01-10 00:00:00+00');

insert into exp.events (
    id, event_type, experiment_id, variant_id, unit_id, request_id, occurred_at, received_at,
    policy_version_id, latency_ms, prompt_tokens, completion_tokens,
    constraint_respect_score, alignment_score, diversity_score, edit_count
) values
-- day 1, control: accepted, edited (2 edits)
(
    1, 'generation', 1, 1, 'u1', '00000000-0000-0000-0000-000000000001',
    '2026-01-10 08:00:00+00', '2026-01-10 08:00:01+00', 1, 400, 100, 50, 1.0, 0.8, 0.5, null
),
(
    2, 'accepted', 1, 1, 'u1', '00000000-0000-0000-0000-000000000001',
    '2026-01-10 08:01:00+00', '2026-01-10 08:01:01+00', null, null, null, null, null, null, null, null
),
(
    3, 'generation', 1, 1, 'u2', '00000000-0000-0000-0000-000000000002',
    '2026-01-10 09:00:00+00', '2026-01-10 09:00:01+00', 1, 600, 120, 80, 1.0, 0.6, 0.7, null
),
(
    4, 'edited', 1, 1, 'u2', '00000000-0000-0000-0000-000000000002',
    '2026-01-10 09:02:00+00', '2026-01-10 09:02:01+00', null, null, null, null, null, null, null, 2
),
-- day 1, treatment: rejected, and a constraint violation that was ignored (no outcome)
(
    5, 'generation', 1, 2, 'u3', '00000000-0000-0000-0000-000000000003',
    '2026-01-10 10:00:00+00', '2026-01-10 10:00:01+00', 2, 900, 100, 100, 1.0, 0.9, 0.4, null
),
(
    6, 'rejected', 1, 2, 'u3', '00000000-0000-0000-0000-000000000003',
    '2026-01-10 10:00:30+00', '2026-01-10 10:00:31+00', null, null, null, null, null, null, null, null
),
(
    7, 'generation', 1, 2, 'u4', '00000000-0000-0000-0000-000000000004',
    '2026-01-10 23:59:00+00', '2026-01-10 23:59:01+00', 2, 1100, 90, 60, 0.75, 0.7, 0.6, null
),
-- day 2: an acceptance whose event arrived 30 hours late; experiment b
(
    8, 'generation', 1, 2, 'u3', '00000000-0000-0000-0000-000000000005',
    '2026-01-11 07:00:00+00', '2026-01-11 07:00:01+00', 2, 700, 110, 70, 1.0, 0.85, 0.55, null
),
(
    9, 'accepted', 1, 2, 'u3', '00000000-0000-0000-0000-000000000005',
    '2026-01-11 07:01:00+00', '2026-01-12 13:01:00+00', null, null, null, null, null, null, null, null
),
(
    10, 'generation', 2, 3, 'u5', '00000000-0000-0000-0000-000000000006',
    '2026-01-11 12:00:00+00', '2026-01-11 12:00:01+00', 1, 500, 80, 40, 1.0, 0.5, 0.5, null
),
(
    11, 'edited', 2, 3, 'u5', '00000000-0000-0000-0000-000000000006',
    '2026-01-11 12:05:00+00', '2026-01-11 12:05:01+00', null, null, null, null, null, null, null, 1
);

insert into exp.offline_evaluations (
    id, policy_version_id, evaluation_run_id, dataset_name, evaluated_at, alignment_score,
    constraint_respect_score, diversity_score, predicted_acceptance_rate, sample_count
) values
(1, 1, 'run-1', 'golden-set', '2026-01-02 00:00:00+00', 0.7, 0.99, 0.6, 0.55, 200),
(2, 2, 'run-1', 'golden-set', '2026-01-06 00:00:00+00', 0.85, 0.98, 0.5, 0.6, 100),
(3, 2, 'run-2', 'golden-set', '2026-01-07 00:00:00+00', 0.80, 0.97, 0.5, 0.45, 100);

-- Computed at 01:00 the next day: the late acceptance of request 5 was not visible yet.
insert into exp.metric_aggregates (
    bucket_start, bucket_type, experiment_id, variant_id, metric_name, mean, count, variance,
    computed_at
) values
('2026-01-10 00:00:00+00', 'daily', 1, 1, 'acceptance_rate', 1.0, 2, 0, '2026-01-11 01:00:00+00'),
('2026-01-10 00:00:00+00', 'daily', 1, 1, 'latency_ms', 500, 2, 20000, '2026-01-11 01:00:00+00'),
('2026-01-10 00:00:00+00', 'daily', 1, 1, 'latency_p95', 590, 2, null, '2026-01-11 01:00:00+00'),
('2026-01-10 00:00:00+00', 'daily', 1, 2, 'acceptance_rate', 0.0, 2, 0, '2026-01-11 01:00:00+00'),
('2026-01-10 00:00:00+00', 'daily', 1, 2, 'latency_ms', 1000, 2, 20000, '2026-01-11 01:00:00+00'),
('2026-01-11 00:00:00+00', 'daily', 1, 2, 'acceptance_rate', 0.0, 1, null, '2026-01-12 01:00:00+00'),
('2026-01-11 00:00:00+00', 'daily', 2, 3, 'acceptance_rate', 1.0, 1, null, '2026-01-12 01:00:00+00'),
('2026-01-10 08:00:00+00', 'hourly', 1, 1, 'latency_ms', 400, 1, null, '2026-01-10 09:00:00+00');
