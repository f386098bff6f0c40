"""The public marts ported to Spark so far equal PostgreSQL's, row for row (README "Running on
Apache Spark" lists which marts are not ported yet)."""

from __future__ import annotations

import pytest

from .compare import differences, read_both
from .conftest import PORTED_MARTS


@pytest.mark.parametrize("relation", PORTED_MARTS)
def test_mart_equals_postgresql(engines, relation):
    names, pg_rows, spark_rows = read_both(engines, relation)
    assert pg_rows, f"{relation} is empty on PostgreSQL: nothing would be compared"
    assert differences(names, pg_rows, spark_rows) == []
