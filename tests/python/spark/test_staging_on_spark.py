"""The staging views built on Spark equal the same views on PostgreSQL, row for row."""

from __future__ import annotations

import pytest

from experiment_analytics.dbt import PROJECT_DIR

from .compare import differences, read_both

STAGING_MODELS = sorted(p.stem for p in (PROJECT_DIR / "models/staging/exp").glob("stg_*.sql"))


def test_every_staging_model_is_compared():
    assert len(STAGING_MODELS) == 8


@pytest.mark.parametrize("model", STAGING_MODELS)
def test_staging_model_equals_postgresql(engines, model):
    names, pg_rows, spark_rows = read_both(engines, f"analytics.{model}")
    assert pg_rows, f"{model} is empty on PostgreSQL: nothing would be compared"
    assert differences(names, pg_rows, spark_rows) == []
