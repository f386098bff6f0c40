"""Each data test that fails the build fails on data that breaks it, and only that test fails.

These are the rules that stop a build: the contract of the event log (a column missing or of
another type, an event without its timestamps), the dimension tables, the metric aggregates and
the invariants of the marts. A row of the event log that breaks a row-level rule is quarantined
instead, and the build stays green: those proofs are in test_quarantine_rules.py.

Every case loads the source contract and the small valid data set (base_data.sql) into a fresh
database, applies one targeted break, runs `dbt build` on a selection, and checks in
run_results.json that exactly the expected tests failed (and that they ran). The baseline case,
with no break, proves the data set itself passes every test of the selection.

Where the DDL of the source contract enforces a rule (primary key, check), the break first drops
that constraint: many warehouses (BigQuery, Snowflake, Redshift, ...) do not enforce constraints,
so the data tests must hold on their own.

dbt runs in this process on a project parsed once (see ParsedProject in conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from experiment_analytics.warehouse import connect, create_exp_sources

from .conftest import ParsedProject, node_name

BASE_DATA = Path(__file__).with_name("base_data.sql")


@dataclass(frozen=True)
class Case:
    name: str
    breaks: tuple[str, ...]
    select: str
    expected_failures: frozenset[str]
    exclude: str | None = None
    expected_warnings: frozenset[str] = frozenset()


def case(
    name: str,
    breaks: list[str],
    select: str,
    *expected: str,
    exclude: str | None = None,
    warns: tuple[str, ...] = (),
):
    return Case(name, tuple(breaks), select, frozenset(expected), exclude, frozenset(warns))


CASES = [
    case(
        "baseline_every_test_passes",
        [],
        "source:exp+ model_token_prices+",
        exclude="path:models/marts/statistics+ path:tests/singular/statistics",
    ),
    case(
        "experiment_id_duplicated",
        [
            "alter table exp.experiments drop constraint experiments_pkey cascade",
            "insert into exp.experiments (id, name, status, primary_metric, created_at)"
            " values (1, 'exp-dup', 'draft', 'acceptance_rate', now())",
        ],
        "source:exp.experiments",
        "source_unique_exp_experiments_id",
    ),
    case(
        "experiment_status_unknown",
        [
            "alter table exp.experiments drop constraint experiments_status_check",
            "update exp.experiments set status = 'running' where id = 2",
        ],
        "source:exp.experiments",
        "source_accepted_values_exp_experiments_status__draft__active__paused__completed",
    ),
    case(
        "allocations_not_summing_to_one",
        ["update exp.variants set allocation = 0.6 where id = 1"],
        "source:exp.variants",
        "source_sums_to_one_per_group_exp_variants_allocation__experiment_id__1e_06",
    ),
    case(
        "unit_assigned_twice",
        ["insert into exp.assignments values (1, 2, 'u1', '2026-01-10 00:00:00+00')"],
        "source:exp.assignments",
        "source_unique_combination_exp_assignments_experiment_id__unit_id",
    ),
    case(
        "bucket_type_unknown",
        ["update exp.metric_aggregates set bucket_type = 'weekly' where bucket_type = 'hourly'"],
        "source:exp.metric_aggregates",
        "source_accepted_values_exp_metric_aggregates_bucket_type__hourly__daily",
    ),
    case(
        "predicted_acceptance_above_one",
        ["update exp.offline_evaluations set predicted_acceptance_rate = 1.3 where id = 1"],
        "source:exp.offline_evaluations",
        "source_values_between_exp_offline_evaluations_predicted_acceptance_rate__1__0",
    ),
    case(
        "event_before_assignment",
        ["update exp.assignments set assigned_at = '2026-01-10 09:30:00+00' where unit_id = 'u2'"],
        "+assert_no_event_before_its_unit_assignment",
        "assert_no_event_before_its_unit_assignment",
    ),
    case(
        "assignment_to_another_experiments_variant",
        ["update exp.assignments set variant_id = 3 where unit_id = 'u1'"],
        "+assert_assignment_variant_belongs_to_its_experiment",
        "assert_assignment_variant_belongs_to_its_experiment",
    ),
    case(
        "two_controls",
        ["update exp.variants set is_control = true where id = 2"],
        "+assert_one_control_per_experiment",
        "assert_one_control_per_experiment",
    ),
    case(
        "aggregate_mean_off",
        [
            "update exp.metric_aggregates set mean = 500.01 where metric_name = 'latency_ms'"
            " and bucket_type = 'daily' and variant_id = 1"
        ],
        "+assert_metric_aggregates_reconcile_with_events",
        "assert_metric_aggregates_reconcile_with_events",
    ),
    case(
        "aggregate_count_off",
        ["update exp.metric_aggregates set count = 3 where metric_name = 'latency_p95'"],
        "+assert_metric_aggregates_reconcile_with_events",
        "assert_metric_aggregates_reconcile_with_events",
    ),
    case(
        "aggregate_counts_a_late_outcome_it_could_not_see",
        [
            "update exp.metric_aggregates set mean = 1.0 where metric_name = 'acceptance_rate'"
            " and bucket_start = '2026-01-11 00:00:00+00' and variant_id = 2"
        ],
        "+assert_metric_aggregates_reconcile_with_events",
        "assert_metric_aggregates_reconcile_with_events",
    ),
    case(
        "event_column_missing",
        ["alter table exp.events drop column diversity_score"],
        "source:exp.events",
        "exp_events_columns_match_the_contract",
    ),
    case(
        "event_column_of_another_type",
        ["alter table exp.events alter column latency_ms type text"],
        "source:exp.events",
        "exp_events_columns_match_the_contract",
    ),
    case(
        "event_without_received_at",
        [
            "alter table exp.events alter column received_at drop not null",
            "update exp.events set received_at = null where id = 5",
        ],
        "source:exp.events",
        "exp_events_received_at_is_missing",
    ),
    # A model without a price warns and the build goes on, cost marts included (their cost is
    # null there): the cost cards name the model (issue #13).
    case(
        "model_without_a_price",
        ["update exp.policy_versions set model_name = 'mystery-1b' where id = 2"],
        "+generations model_token_prices int_variant_days daily_model_costs daily_request_metrics",
        warns=("relationships_generations_model_name__model_name__ref_model_token_prices_",),
    ),
]


@dataclass
class Outcome:
    ran: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    warned: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)


def _prepare_database(case_: Case, new_database):
    """A fresh database with the source contract, the valid data set and the case's break."""
    settings = new_database("broken")
    create_exp_sources(settings)
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(BASE_DATA.read_text())
        for statement in case_.breaks:
            cur.execute(statement)
    conn.close()
    return settings


def _run_case(case_: Case, new_database, parsed_project: ParsedProject) -> Outcome:
    settings = _prepare_database(case_, new_database)
    # cautious: only tests whose every parent is selected (no tests on models left unbuilt);
    # --full-refresh: the tests check every row, not only the incremental test window
    args = ["build", "--full-refresh", "--indirect-selection", "cautious"]
    args += ["--select", *case_.select.split()]
    if case_.exclude:
        args += ["--exclude", *case_.exclude.split()]
    outcome = Outcome()
    for result in parsed_project.run(args, settings, case_.name):
        kind, name = result["unique_id"].split(".")[0], node_name(result["unique_id"])
        if kind == "test":
            outcome.ran.add(name)
            if result["status"] == "fail":
                outcome.failed.add(name)
            if result["status"] == "warn":
                outcome.warned.add(name)
        if result["status"] == "error":
            # a test that errors (e.g. a missing relation) proves nothing about the data
            outcome.errors[name] = result.get("message") or ""
    return outcome


@pytest.mark.slow
@pytest.mark.parametrize("case_", CASES, ids=[c.name for c in CASES])
def test_exactly_the_expected_tests_fail(case_: Case, new_database, parsed_project):
    outcome = _run_case(case_, new_database, parsed_project)
    assert not outcome.errors, f"dbt nodes errored: {outcome.errors}"
    assert case_.expected_failures <= outcome.ran, "an expected test did not run"
    assert case_.expected_warnings <= outcome.warned, "an expected warning was not raised"
    assert len(outcome.ran) > len(case_.expected_failures), "the selection ran no other test"
    assert outcome.failed == case_.expected_failures
