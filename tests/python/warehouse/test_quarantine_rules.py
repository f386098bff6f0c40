"""Every quarantine rule, proven on broken data, in an incremental build and on full refresh.

The small valid data set (base_data.sql) is built once; then, for every rule of
macros/event_log/quarantine_rules.sql, a case appends events that break that rule and nothing
else (each case its own event ids and request ids). The incremental `dbt build` a scheduler runs
must then: stay green (warnings only), quarantine each case's bad event under its rule, name it
in the warning test `exp_events_<rule>` (source table, rule, up to five ids) and keep it out of
every mart, while the valid events appended beside them reach the marts. A `--full-refresh`
build must give the same quarantine and the same marts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.warehouse import ConnectionSettings, connect, create_exp_sources

from .conftest import ParsedProject, node_name
from .marts import differences, snapshot

BASE_DATA = Path(__file__).with_name("base_data.sql")
BUILD = ["build", "--exclude-resource-type", "unit_test"]
AUDIT_SCHEMA = "analytics_test_failures"
MARTS = {
    "generations": "analytics.generations",
    "experiment_daily_events": "analytics.experiment_daily_events",
    "variant_daily_metrics": "analytics.variant_daily_metrics",
    "variant_daily_edit_counts": "analytics.variant_daily_edit_counts",
    "daily_quality_metrics": "analytics.daily_quality_metrics",
    "constraint_violations": "analytics.constraint_violations",
    "daily_request_metrics": "analytics.daily_request_metrics",
    "daily_model_costs": "analytics.daily_model_costs",
    "unit_daily_statistics": "analytics.unit_daily_statistics",
    "event_quarantine": "analytics.event_quarantine",
}
COLUMNS = (
    "id, event_type, experiment_id, variant_id, unit_id, request_id, occurred_at, received_at,"
    " policy_version_id, latency_ms, prompt_tokens, completion_tokens,"
    " constraint_respect_score, alignment_score, diversity_score, edit_count"
)
VALID_GENERATION = {
    "event_type": "'generation'",
    "experiment_id": "1",
    "variant_id": "1",
    "unit_id": "'u1'",
    "occurred_at": "'2026-01-11 09:00:00+00'",
    "received_at": "'2026-01-11 09:00:01+00'",
    "policy_version_id": "1",
    "latency_ms": "500",
    "prompt_tokens": "100",
    "completion_tokens": "50",
    "constraint_respect_score": "1.0",
    "alignment_score": "0.8",
    "diversity_score": "0.5",
    "edit_count": "null",
}
OUTCOME = {
    **VALID_GENERATION,
    "event_type": "'accepted'",
    "occurred_at": "'2026-01-11 09:01:00+00'",
    "received_at": "'2026-01-11 09:01:01+00'",
    **dict.fromkeys(
        [
            "policy_version_id",
            "latency_ms",
            "prompt_tokens",
            "completion_tokens",
            "constraint_respect_score",
            "alignment_score",
            "diversity_score",
        ],
        "null",
    ),
}
EXISTING_REQUEST = "'00000000-0000-0000-0000-000000000001'"


def event(event_id: int | None, request: str, template: dict[str, str], **values: str) -> str:
    """An insert of one event: `template` with `values` replacing some columns."""
    row = {**template, **values}
    identifier = "null" if event_id is None else str(event_id)
    cells = [identifier, row["event_type"], row["experiment_id"], row["variant_id"]]
    cells += [row["unit_id"], request, row["occurred_at"], row["received_at"]]
    cells += [row[name] for name in list(VALID_GENERATION)[6:]]
    return f"insert into exp.events ({COLUMNS}) values ({', '.join(cells)})"


def request_of(number: int) -> str:
    return f"'00000000-0000-0000-0000-{number:012d}'"


@dataclass(frozen=True)
class Case:
    rule: str
    statements: tuple[str, ...]
    bad_event_id: int | None
    bad_request: str | None  # the request that must not reach generations (None: it may)


def rule_case(number: int, rule: str, *, make_bad) -> Case:
    """Case `number`: ids 1000 + 10 * number..., request 1000 + number; `make_bad(id, request)`."""
    first_id, request = 1000 + 10 * number, request_of(1000 + number)
    statements, bad_id, bad_request = make_bad(first_id, request)
    return Case(rule, tuple(statements), bad_id, bad_request)


def bad_generation(**values: str):
    def make(first_id: int, request: str):
        return [event(first_id, request, VALID_GENERATION, **values)], first_id, request

    return make


def generation_then_bad_outcome(generation: dict[str, str], **outcome: str):
    def make(first_id: int, request: str):
        statements = [
            event(first_id, request, VALID_GENERATION, **generation),
            event(first_id + 1, request, OUTCOME, **outcome),
        ]
        return statements, first_id + 1, None

    return make


def _existing(statements: list[str], bad_id: int | None, bad_request: str | None):
    def make(first_id: int, request: str):
        return statements, bad_id, bad_request

    return make


CASES = [
    rule_case(
        1,
        "event_id_missing",
        make_bad=lambda first_id, request: (
            [
                "alter table exp.events alter column id drop not null",
                event(None, request, VALID_GENERATION),
            ],
            None,
            request,
        ),
    ),
    # id 1 is the first event of base_data: a later event of other content reuses it
    rule_case(
        2,
        "event_id_reused",
        make_bad=lambda first_id, request: (
            [event(1, request, VALID_GENERATION, received_at="'2026-01-12 09:00:00+00'")],
            1,
            request,
        ),
    ),
    rule_case(3, "event_type_unknown", make_bad=bad_generation(event_type="'clicked'")),
    rule_case(
        4,
        "request_id_missing",
        make_bad=lambda first_id, request: (
            [
                "alter table exp.events alter column request_id drop not null",
                event(first_id, "null", VALID_GENERATION),
            ],
            first_id,
            None,
        ),
    ),
    rule_case(
        5,
        "unit_id_missing",
        make_bad=lambda first_id, request: (
            [
                "alter table exp.events alter column unit_id drop not null",
                event(first_id, request, VALID_GENERATION, unit_id="null"),
            ],
            first_id,
            request,
        ),
    ),
    rule_case(6, "experiment_unknown", make_bad=bad_generation(experiment_id="99")),
    rule_case(7, "variant_unknown", make_bad=bad_generation(variant_id="99")),
    # variant 3 belongs to experiment 2
    rule_case(8, "variant_of_another_experiment", make_bad=bad_generation(variant_id="3")),
    rule_case(
        9,
        "experiment_active_without_started_at",
        make_bad=lambda first_id, request: (
            [
                "insert into exp.experiments (id, name, status, primary_metric, created_at)"
                " values (3, 'exp-c', 'active', 'acceptance_rate', '2026-01-09 00:00:00+00')",
                "insert into exp.variants"
                " (id, experiment_id, name, is_control, allocation, policy_version_id, created_at)"
                " values (4, 3, 'control', true, 1.0, 1, '2026-01-09 00:00:00+00')",
                "insert into exp.assignments values (3, 4, 'u1', '2026-01-10 00:00:00+00')",
                event(first_id, request, VALID_GENERATION, experiment_id="3", variant_id="4"),
            ],
            first_id,
            request,
        ),
    ),
    rule_case(
        10, "received_in_future", make_bad=bad_generation(received_at="now() + interval '1 year'")
    ),
    rule_case(
        11, "occurred_in_future", make_bad=bad_generation(occurred_at="now() + interval '1 year'")
    ),
    rule_case(
        12,
        "received_before_occurred",
        make_bad=bad_generation(received_at="'2026-01-11 08:00:00+00'"),
    ),
    rule_case(
        13, "generation_without_policy_version", make_bad=bad_generation(policy_version_id="null")
    ),
    rule_case(14, "policy_version_unknown", make_bad=bad_generation(policy_version_id="99")),
    rule_case(15, "generation_without_latency", make_bad=bad_generation(latency_ms="null")),
    rule_case(16, "latency_negative", make_bad=bad_generation(latency_ms="-1")),
    rule_case(17, "token_count_negative", make_bad=bad_generation(prompt_tokens="-5")),
    rule_case(18, "score_out_of_range", make_bad=bad_generation(alignment_score="1.5")),
    rule_case(
        19,
        "edited_without_edit_count",
        make_bad=generation_then_bad_outcome({}, event_type="'edited'", edit_count="null"),
    ),
    rule_case(
        20,
        "edit_count_below_one",
        make_bad=generation_then_bad_outcome({}, event_type="'edited'", edit_count="0"),
    ),
    # request 1 of base_data already has its generation (id 1) and outcome (id 2)
    rule_case(
        21,
        "request_id_reused_by_another_generation",
        make_bad=lambda first_id, request: (
            [
                event(
                    first_id,
                    EXISTING_REQUEST,
                    VALID_GENERATION,
                    received_at="'2026-01-12 09:00:00+00'",
                )
            ],
            first_id,
            None,
        ),
    ),
    rule_case(
        22,
        "second_outcome_for_request",
        make_bad=lambda first_id, request: (
            [
                event(
                    first_id,
                    EXISTING_REQUEST,
                    OUTCOME,
                    event_type="'rejected'",
                    occurred_at="'2026-01-10 08:05:00+00'",
                    received_at="'2026-01-12 09:00:00+00'",
                )
            ],
            first_id,
            None,
        ),
    ),
    rule_case(
        23,
        "outcome_of_quarantined_generation",
        make_bad=lambda first_id, request: (
            [
                event(first_id, request, VALID_GENERATION, diversity_score="2.0"),
                event(first_id + 1, request, OUTCOME),
            ],
            first_id + 1,
            request,
        ),
    ),
    rule_case(
        24,
        "outcome_without_generation",
        make_bad=lambda first_id, request: ([event(first_id, request, OUTCOME)], first_id, request),
    ),
    rule_case(
        25,
        "outcome_before_generation",
        make_bad=generation_then_bad_outcome({}, occurred_at="'2026-01-11 08:59:00+00'"),
    ),
]


def _rules_in_the_project() -> list[str]:
    source = (PROJECT_DIR / "macros" / "event_log" / "quarantine_rules.sql").read_text()
    return re.findall(r"\('([a-z_]+)', ", source)


@dataclass(frozen=True)
class Build:
    statuses: dict[str, str]
    messages: dict[str, str]
    marts: dict[str, list]
    quarantine: dict[int | None, str]
    quarantine_rules: set[str]
    generation_requests: set[str]
    generation_outcomes: dict[str, str]
    warnings: dict[str, tuple]


def _query(settings: ConnectionSettings, sql: str) -> list[tuple]:
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return rows


def _build(parsed_project: ParsedProject, settings, args: list[str], name: str) -> Build:
    results = parsed_project.run(args, settings, name)
    statuses = {node_name(r["unique_id"]): r["status"] for r in results}
    warnings = {}
    for test, status in statuses.items():
        if test.startswith("exp_events_") and status == "warn":
            rows = _query(settings, f'select * from "{AUDIT_SCHEMA}"."{test}"')
            warnings[test] = rows[0] if rows else ()
    quarantine_rows = _query(
        settings, "select event_id, quarantine_rule from analytics.event_quarantine"
    )
    outcomes = _query(settings, "select request_id::text, outcome from analytics.generations")
    return Build(
        statuses,
        {node_name(r["unique_id"]): r.get("message") or "" for r in results},
        snapshot(settings, MARTS),
        dict(quarantine_rows),
        {rule for _, rule in quarantine_rows},
        {request for request, _ in outcomes},
        dict(outcomes),
        warnings,
    )


@dataclass(frozen=True)
class Builds:
    incremental: Build
    full_refresh: Build


@pytest.fixture(scope="module")
def builds(new_database, parsed_project: ParsedProject) -> Builds:
    settings = new_database("quarantine")
    create_exp_sources(settings)
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(BASE_DATA.read_text())
    conn.close()
    baseline = parsed_project.run(BUILD, settings, "quarantine_baseline")
    failed = {
        node_name(r["unique_id"])
        for r in baseline
        if r["status"] not in ("success", "pass", "no-op")
    }
    assert not failed, f"the baseline build did not pass: {failed}"
    conn = connect(settings)
    with conn.cursor() as cur:
        for case_ in CASES:
            for statement in case_.statements:
                cur.execute(statement)
        # a valid late generation of an earlier day, appended beside the bad events
        cur.execute(event(2000, request_of(2000), VALID_GENERATION, unit_id="'u2'"))
    conn.close()
    incremental = _build(parsed_project, settings, BUILD, "quarantine_incremental")
    full_refresh = _build(
        parsed_project, settings, [*BUILD, "--full-refresh"], "quarantine_full_refresh"
    )
    return Builds(incremental, full_refresh)


def test_every_rule_of_the_project_has_a_case():
    assert sorted(case_.rule for case_ in CASES) == sorted(_rules_in_the_project())


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["incremental", "full_refresh"])
def test_the_build_stays_green(builds: Builds, mode: str):
    build: Build = getattr(builds, mode)
    broken = {
        name: (status, build.messages.get(name))
        for name, status in build.statuses.items()
        if status in ("fail", "error", "skipped")
    }
    assert not broken, f"{mode}: nodes that failed or were skipped: {broken}"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["incremental", "full_refresh"])
@pytest.mark.parametrize("case_", CASES, ids=[c.rule for c in CASES])
def test_the_bad_event_is_quarantined_and_reported(builds: Builds, mode: str, case_: Case):
    build: Build = getattr(builds, mode)
    test_name = f"exp_events_{case_.rule}"
    assert build.statuses.get(test_name) == "warn", f"{test_name}: {build.statuses.get(test_name)}"
    source_table, rule, count, sample_ids = build.warnings[test_name]
    assert (source_table, rule) == ("exp.events", case_.rule)
    assert count >= 1 and 1 <= len(sample_ids) <= 5
    if case_.bad_event_id is not None:
        quarantined = [i for i, r in build.quarantine.items() if r == case_.rule]
        assert case_.bad_event_id in quarantined, f"{case_.rule}: quarantined {quarantined}"
        assert case_.bad_event_id in sample_ids
    else:
        assert case_.rule in build.quarantine_rules


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["incremental", "full_refresh"])
@pytest.mark.parametrize("case_", CASES, ids=[c.rule for c in CASES])
def test_the_bad_event_reaches_no_mart(builds: Builds, mode: str, case_: Case):
    build: Build = getattr(builds, mode)
    if case_.bad_request is not None:
        request = case_.bad_request.strip("'")
        assert request not in build.generation_requests
    # request 1 of base_data keeps its first generation and its first outcome
    assert build.generation_outcomes["00000000-0000-0000-0000-000000000001"] == "accepted"


@pytest.mark.slow
def test_valid_events_beside_the_bad_ones_reach_the_marts(builds: Builds):
    for build in (builds.incremental, builds.full_refresh):
        # the valid late generation, and the valid generations of the outcome cases
        for number in (2000, 1019, 1020, 1025):
            assert request_of(number).strip("'") in build.generation_requests
        # their bad outcomes were left out: the generations have none
        for number in (1019, 1020, 1025):
            assert build.generation_outcomes[request_of(number).strip("'")] == "none"


@pytest.mark.slow
def test_incremental_equals_full_refresh_on_every_mart(builds: Builds):
    assert not differences(builds.incremental.marts, builds.full_refresh.marts)
