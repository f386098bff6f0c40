"""A failing data test names the table, the rule and up to five offending keys.

dbt's four built-in generic tests are overridden in the project (macros/data_tests/): they fail
on what dbt's own fail on and count what those counted, but return one row (table, rule, count,
sample keys), and the on-run-end hook prints that row for every failing test. Proven here on
hand-made `exp.experiments` and `exp.variants` source tables that break each rule, with the
source tests on them: `dbt test` needs only the relations, so no build runs. (The marts hold
these rules as enforced contract constraints instead, checked by PostgreSQL as they are written;
README "What the warehouse guarantees".)
"""

from __future__ import annotations

import re

import pytest

from experiment_analytics.dbt import run_dbt
from experiment_analytics.warehouse import connect

from .conftest import node_name, read_run_results

BROKEN_SOURCES = """
create schema exp;
create table exp.experiments (id integer, name text, status text);
insert into exp.experiments values
    (1, 'one', 'active'),
    (2, 'two', 'draft'),
    (2, 'two again', 'active'),
    (4, null, 'paused'),
    (5, 'five', 'bogus'),
    (6, 'five', 'bogus');
create table exp.variants (id integer, experiment_id integer, name text, allocation numeric);
insert into exp.variants values
    (10, 1, 'control', 0.5),
    (11, 1, 'treatment', 0.5),
    (12, 999, 'orphan', 1),
    (13, 998, 'orphan', 1),
    (14, 998, 'orphan too', 1);
insert into exp.variants
select 100 + n, null, 'no experiment ' || n, 1 from generate_series(1, 7) as n;
"""

# test -> (dbt's failure count, what its report line must name: table, rule, keys in order)
EXPECTED = {
    "source_unique_exp_experiments_id": (
        1,
        ["exp.experiments", "unique(id)", "sample_keys: 2 (2 rows)"],
    ),
    "source_unique_exp_experiments_name": (
        1,
        ["exp.experiments", "unique(name)", "sample_keys: five (2 rows)"],
    ),
    "source_not_null_exp_experiments_name": (
        1,
        ["exp.experiments", "not_null(name)", "sample_keys: id=4"],
    ),
    "source_accepted_values_exp_experiments_status__draft__active__paused__completed": (
        1,
        ["exp.experiments", "accepted_values(status)", "sample_keys: bogus (2 rows)"],
    ),
    "source_relationships_exp_variants_experiment_id__id__source_exp_experiments_": (
        3,
        [
            "exp.variants",
            "relationships(experiment_id -> exp.experiments.id)",
            "sample_keys: 998 (2 rows), 999 (1 row)",
        ],
    ),
    # seven rows fail; five keys are named, smallest first (as text)
    "source_not_null_exp_variants_experiment_id": (
        7,
        [
            "exp.variants",
            "not_null(experiment_id)",
            "sample_keys: id=101, id=102, id=103, id=104, id=105\n",
        ],
    ),
}
# the tests that hold on these rows must still pass with the overridden macros
HOLDING = ("source_unique_exp_variants_id", "source_not_null_exp_experiments_id")


@pytest.mark.slow
def test_each_failing_builtin_test_names_table_rule_count_and_keys(new_database, tmp_path):
    settings = new_database("failing_tests")
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(BROKEN_SOURCES)
    conn.commit()
    conn.close()

    result = run_dbt(
        [
            "test",
            "--select",
            " ".join([*EXPECTED, *HOLDING]),
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
    for name in HOLDING:
        assert outcomes[name] == ("pass", 0), name
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    for name, (count, named) in EXPECTED.items():
        assert outcomes[name] == ("fail", count), name
        report = re.search(rf"FAIL {name} \({count}\):\n(.*\n)", output)
        assert report, f"no report line for {name} in:\n{output[-3000:]}"
        line = report.group(1)
        assert f"failure_count: {count};" in line, line
        for part in named:
            assert part in line, (part, line)
