"""A failing data test names the table, the rule and up to five offending keys.

dbt's four built-in generic tests are overridden in the project (macros/data_tests/): they fail
on what dbt's own fail on and count what those counted, but return one row (table, rule, count,
sample keys), and the on-run-end hook prints that row for every failing test. Proven here on
hand-made `experiments` and `variants` marts that break each rule: `dbt test` needs only the
relations, so no build runs.
"""

from __future__ import annotations

import re

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import connect

from .conftest import node_name, read_run_results

BROKEN_MARTS = """
create schema analytics;
create table analytics.experiments (experiment_id integer, experiment_name text, status text);
insert into analytics.experiments values
    (1, 'one', 'active'),
    (2, 'two', 'draft'),
    (2, 'two again', 'active'),
    (4, null, 'paused'),
    (5, 'five', 'bogus'),
    (6, 'five', 'bogus');
create table analytics.variants (
    variant_id integer, experiment_id integer, variant_name text, allocation numeric
);
insert into analytics.variants values
    (10, 1, 'control', 0.5),
    (11, 1, 'treatment', 0.5),
    (12, 999, 'orphan', 1),
    (13, 998, 'orphan', 1),
    (14, 998, 'orphan too', 1);
insert into analytics.variants
select 100 + n, null, 'no experiment ' || n, 1 from generate_series(1, 7) as n;
"""

# test -> (dbt's failure count, what its report line must name: table, rule, keys in order)
EXPECTED = {
    "unique_experiments_experiment_id": (
        1,
        ["analytics.experiments", "unique(experiment_id)", "sample_keys: 2 (2 rows)"],
    ),
    "unique_experiments_experiment_name": (
        1,
        ["analytics.experiments", "unique(experiment_name)", "sample_keys: five (2 rows)"],
    ),
    "not_null_experiments_experiment_name": (
        1,
        ["analytics.experiments", "not_null(experiment_name)", "sample_keys: experiment_id=4"],
    ),
    "accepted_values_experiments_status__draft__active__paused__completed": (
        1,
        ["analytics.experiments", "accepted_values(status)", "sample_keys: bogus (2 rows)"],
    ),
    "relationships_variants_experiment_id__experiment_id__ref_experiments_": (
        3,
        [
            "analytics.variants",
            "relationships(experiment_id -> analytics.experiments.experiment_id)",
            "sample_keys: 998 (2 rows), 999 (1 row)",
        ],
    ),
    # seven rows fail; five keys are named, smallest first (as text)
    "not_null_variants_experiment_id": (
        7,
        [
            "analytics.variants",
            "not_null(experiment_id)",
            "sample_keys: variant_id=101, variant_id=102, variant_id=103, variant_id=104, "
            "variant_id=105\n",
        ],
    ),
}


@pytest.mark.slow
def test_each_failing_builtin_test_names_table_rule_count_and_keys(new_database, tmp_path):
    settings = new_database("failing_tests")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(BROKEN_MARTS)
    conn.commit()
    conn.close()

    result = run_dbt(
        [
            "test",
            "--select",
            "experiments variants",
            "--indirect-selection",
            "cautious",
            "--exclude-resource-type",
            "unit_test",
        ],
        settings,
        target_path=tmp_path / "target",
        check=False,
    )

    assert result.returncode == 1, result.output[-3000:]
    outcomes = {
        node_name(r["unique_id"]): (r["status"], r["failures"])
        for r in read_run_results(tmp_path / "target")
    }
    assert {name for name, (status, _) in outcomes.items() if status == "fail"} == set(EXPECTED)
    # the tests that hold on these rows still pass with the overridden macros
    assert outcomes["unique_variants_variant_id"] == ("pass", 0)
    assert outcomes["not_null_experiments_experiment_id"] == ("pass", 0)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    for name, (count, named) in EXPECTED.items():
        assert outcomes[name] == ("fail", count), name
        report = re.search(rf"FAIL {name} \({count}\):\n(.*\n)", output)
        assert report, f"no report line for {name} in:\n{output[-3000:]}"
        line = report.group(1)
        assert f"failure_count: {count};" in line, line
        for part in named:
            assert part in line, (part, line)
