"""The project's dbt unit tests on Spark: one `dbt test --select test_type:unit --target spark`
over the session's Spark build (conftest.py; the unit tests' dict and csv fixtures are cast to
the columns of their input relations, which that build made), with no build of its own.

Every unit test the project defines (the `unit_tests:` of models/**/*.yml, read here from the
YAML, not from dbt's selection) must have run and passed on Spark; one that cannot run there for
an engine reason is named in UNIT_TESTS_NOT_ON_SPARK with the reason, never left out silently.
On PostgreSQL they run in every `dbt build` (tests/python/warehouse/test_demo_build.py).
"""

from __future__ import annotations

import yaml

from experiment_analytics.dbt import PROJECT_DIR

# Unit tests left out on Spark, by name, with the engine reason (README "Running on Apache
# Spark").
UNIT_TESTS_NOT_ON_SPARK: dict[str, str] = {}


def project_unit_tests() -> set[str]:
    """The names of every unit test in the project's model YAML files."""
    names: set[str] = set()
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        names |= {test["name"] for test in document.get("unit_tests") or []}
    return names


def test_every_unit_test_passes_on_spark(engines):
    expected = project_unit_tests()
    assert expected, "no unit tests found under models/: nothing would be checked"
    assert UNIT_TESTS_NOT_ON_SPARK.keys() <= expected, "a unit test named here no longer exists"
    excludes = [arg for name in UNIT_TESTS_NOT_ON_SPARK for arg in ("--exclude", name)]
    result = engines.spark.invoke(["test", "--select", "test_type:unit", *excludes], check=False)
    assert result.result is not None, f"dbt test on Spark did not run: {result.exception}"
    statuses = {
        run.node.name: (str(getattr(run.status, "value", run.status)), run.message)
        for run in result.result.results
        if run.node.resource_type == "unit_test"
    }
    assert statuses.keys() == expected - UNIT_TESTS_NOT_ON_SPARK.keys()
    failed = {name: status for name, status in statuses.items() if status[0] != "pass"}
    assert failed == {}
