"""Every rule of the exp source contract holds on generated data, and the data looks real."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from demo_data_params import END_AT

from experiment_analytics.demo_data import EXPERIMENTS, MODELS


def test_every_experiment_status_is_present_with_consistent_dates(demo_data):
    rows = demo_data("select status, count(*) from exp.experiments group by 1")
    assert {status for status, _ in rows} == {"draft", "active", "paused", "completed"}
    assert (
        demo_data.scalar(
            "select count(*) from exp.experiments where (status = 'draft') <> (started_at is null)"
        )
        == 0
    )
    assert (
        demo_data.scalar(
            "select count(*) from exp.experiments"
            " where (status = 'completed') <> (ended_at is not null) or ended_at <= started_at"
            " or created_at > coalesce(started_at, created_at)"
        )
        == 0
    )


def test_drafts_have_no_traffic_and_active_experiments_have_recent_traffic(demo_data):
    assert (
        demo_data.scalar(
            "select count(*) from exp.events as e inner join exp.experiments as x"
            " on e.experiment_id = x.id where x.status = 'draft'"
        )
        == 0
    )
    assert (
        demo_data.scalar(
            "select count(*) from exp.assignments as a inner join exp.experiments as x"
            " on a.experiment_id = x.id where x.status = 'draft'"
        )
        == 0
    )
    recent = demo_data(
        "select x.id, count(e.id) from exp.experiments as x left join exp.events as e"
        " on e.experiment_id = x.id and e.occurred_at >= %s where x.status = 'active'"
        " group by 1",
        (END_AT - timedelta(hours=1),),
    )
    assert recent and all(count > 0 for _, count in recent), recent


def test_stopped_experiments_have_no_generations_after_they_stopped(demo_data):
    assert (
        demo_data.scalar(
            "select count(*) from exp.events as e inner join exp.experiments as x"
            " on e.experiment_id = x.id"
            " where x.status = 'completed' and e.event_type = 'generation'"
            " and (e.occurred_at >= x.ended_at or e.occurred_at < x.started_at)"
        )
        == 0
    )
    last_paused = demo_data(
        "select max(e.occurred_at) from exp.events as e inner join exp.experiments as x"
        " on e.experiment_id = x.id where x.status = 'paused'"
    )[0][0]
    assert last_paused < END_AT - timedelta(days=2)


def test_allocations_sum_to_one_and_one_control(demo_data):
    rows = demo_data(
        "select experiment_id, sum(allocation), count(*) filter (where is_control)"
        " from exp.variants group by 1"
    )
    assert len(rows) == len(EXPERIMENTS)
    assert all(float(total) == 1.0 and controls == 1 for _, total, controls in rows), rows


def test_one_assignment_per_unit_and_experiment(demo_data):
    assert (
        demo_data.scalar(
            "select count(*) from (select experiment_id, unit_id from exp.assignments"
            " group by 1, 2 having count(*) > 1) as duplicates"
        )
        == 0
    )
    # ...and users do take part in more than one experiment.
    assert (
        demo_data.scalar(
            "select count(*) from (select unit_id from exp.assignments group by 1"
            " having count(*) > 1) as shared"
        )
        > 0
    )


def test_every_event_follows_the_assignment_of_its_unit_in_the_same_variant(demo_data):
    assert (
        demo_data.scalar(
            "select count(*) from exp.events as e left join exp.assignments as a"
            " on e.experiment_id = a.experiment_id and e.unit_id = a.unit_id"
            " where a.unit_id is null or a.variant_id <> e.variant_id"
            " or e.occurred_at <= a.assigned_at"
        )
        == 0
    )


def test_event_ids_unique_and_types_known(demo_data):
    assert demo_data.scalar("select count(*) - count(distinct id) from exp.events") == 0
    types = {row[0] for row in demo_data("select distinct event_type from exp.events")}
    assert types == {"generation", "accepted", "edited", "rejected"}


def test_outcomes_have_a_generation_before_them_and_at_most_one_per_request(demo_data):
    assert (
        demo_data.scalar(
            "select count(*) from exp.events as o left join exp.events as g"
            " on g.request_id = o.request_id and g.event_type = 'generation'"
            " where o.event_type <> 'generation'"
            " and (g.id is null or o.occurred_at <= g.occurred_at or o.received_at < g.received_at"
            " or o.unit_id <> g.unit_id or o.variant_id <> g.variant_id)"
        )
        == 0
    )
    assert (
        demo_data.scalar(
            "select count(*) from (select request_id from exp.events group by 1"
            " having count(*) filter (where event_type = 'generation') <> 1"
            " or count(*) > 2) as bad"
        )
        == 0
    )
    # Some generations are ignored (no outcome at all).
    assert (
        demo_data.scalar(
            "select count(*) from (select request_id from exp.events group by 1"
            " having count(*) = 1) as ignored"
        )
        > 0
    )


def test_generation_and_outcome_columns(demo_data):
    assert (
        demo_data.scalar(
            "select count(*) from exp.events where event_type = 'generation' and ("
            " policy_version_id is null or latency_ms is null or latency_ms <= 0"
            " or prompt_tokens < 1 or completion_tokens < 1 or edit_count is not null"
            " or constraint_respect_score not between 0 and 1"
            " or alignment_score not between 0 and 1 or diversity_score not between 0 and 1)"
        )
        == 0
    )
    assert (
        demo_data.scalar(
            "select count(*) from exp.events where event_type <> 'generation' and ("
            " policy_version_id is not null or latency_ms is not null or prompt_tokens is not null"
            " or completion_tokens is not null or constraint_respect_score is not null"
            " or alignment_score is not null or diversity_score is not null"
            " or (event_type = 'edited') <> (edit_count is not null) or edit_count < 1)"
        )
        == 0
    )
    assert (
        demo_data.scalar(
            "select count(*) from exp.events as e inner join exp.variants as v"
            " on e.variant_id = v.id where e.policy_version_id <> v.policy_version_id"
            " or e.experiment_id <> v.experiment_id"
        )
        == 0
    )


def test_constraint_violations_are_rare_and_concentrated_in_one_policy(demo_data):
    rows = demo_data(
        "select policy_version_id, avg((constraint_respect_score < 1)::int)::float8, count(*)"
        " from exp.events where event_type = 'generation' group by 1 order by 2 desc"
    )
    overall = demo_data.scalar(
        "select avg((constraint_respect_score = 1)::int)::float8 from exp.events"
        " where event_type = 'generation'"
    )
    assert 0.97 < overall < 1.0
    worst, *others = rows
    assert worst[1] > 0.03 and all(rate < 0.015 for _, rate, _ in others), rows


def test_latency_has_a_long_tail(demo_data):
    p50, p99, over_2s = demo_data(
        "select percentile_cont(0.5) within group (order by latency_ms),"
        " percentile_cont(0.99) within group (order by latency_ms),"
        " count(*) filter (where latency_ms > 2000)"
        " from exp.events where event_type = 'generation'"
    )[0]
    assert p99 > 3.5 * p50 and over_2s > 50


def test_tokens_differ_by_model(demo_data):
    rows = dict(
        demo_data(
            "select p.model_name, avg(e.completion_tokens)::float8 from exp.events as e"
            " inner join exp.policy_versions as p on e.policy_version_id = p.id"
            " group by 1"
        )
    )
    assert set(rows) <= set(MODELS) and len(rows) == len(MODELS)
    assert rows["lyra-3b"] < rows["orion-8b"] < rows["orion-70b"]


def test_late_events_exist_also_recently_and_nothing_arrives_after_the_end(demo_data):
    late, recent_late, after_end = demo_data(
        "select count(*) filter (where received_at > occurred_at + interval '1 hour'),"
        " count(*) filter (where received_at > occurred_at + interval '1 hour'"
        "   and occurred_at >= %(end)s - interval '48 hours'),"
        " count(*) filter (where received_at > %(end)s)"
        " from exp.events",
        {"end": END_AT},
    )[0]
    assert late > 100 and recent_late > 5 and after_end == 0
    assert demo_data.scalar("select count(*) from exp.events where received_at < occurred_at") == 0


def test_offline_evaluations_several_runs_per_version_imperfectly_tracking_online(demo_data):
    runs = demo_data(
        "select p.id, count(o.id) from exp.policy_versions as p"
        " left join exp.offline_evaluations as o on o.policy_version_id = p.id group by 1"
    )
    assert all(count >= 3 for _, count in runs), runs
    online = dict(
        demo_data(
            "select g.policy_version_id,"
            " avg(coalesce((o.event_type in ('accepted', 'edited'))::int, 0))::float8"
            " from exp.events as g left join exp.events as o"
            " on o.request_id = g.request_id and o.event_type <> 'generation'"
            " where g.event_type = 'generation' group by 1"
        )
    )
    offline = dict(
        demo_data(
            "select policy_version_id, avg(predicted_acceptance_rate) from exp.offline_evaluations"
            " group by 1"
        )
    )
    common = sorted(set(online) & set(offline))
    pairs = [(online[p], float(offline[p])) for p in common]
    correlation = np.corrcoef(np.array(pairs).T)[0, 1]
    assert 0.2 < correlation < 0.98, pairs
