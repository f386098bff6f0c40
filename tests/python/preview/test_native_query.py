"""The shared substitution (`experiment_analytics.native_query`) on its own: no database needed."""

from __future__ import annotations

import datetime as dt

import pytest

from experiment_analytics.native_query import QueryError, compile_native

SQL = "select * from t where 1 = 1 [[and {{experiment}}]] [[and {{date_range}}]] and x like '5%'"
TAGS = {
    "experiment": {
        "name": "experiment",
        "type": "dimension",
        "widget-type": "string/=",
        "dimension": ["field", 7, None],
    },
    "date_range": {
        "name": "date_range",
        "type": "dimension",
        "widget-type": "date/all-options",
        "dimension": ["field", 8, None],
    },
}
COLUMNS = {7: '"m"."e"."experiment_name"', 8: '"m"."g"."generated_date"'}


def column_of(dimension):
    return COLUMNS.get(dimension[1])


def parameter(tag: str, ptype: str, value):
    return {"type": ptype, "target": ["dimension", ["template-tag", tag]], "value": value}


def test_no_values_drop_optional_clauses_and_escape_percent():
    compiled = compile_native(SQL, TAGS, [], column_of)
    assert compiled.sql == "select * from t where 1 = 1   and x like '5%%'"
    assert compiled.params == []


def test_field_filters_become_conditions_on_the_field_column():
    compiled = compile_native(
        SQL,
        TAGS,
        [
            parameter("experiment", "string/=", ["exp_a"]),
            parameter("date_range", "date/all-options", "2026-01-01~2026-01-31"),
        ],
        column_of,
    )
    assert 'and "m"."e"."experiment_name" = %s' in compiled.sql
    assert 'and cast("m"."g"."generated_date" as date) between %s and %s' in compiled.sql
    assert compiled.params == ["exp_a", dt.date(2026, 1, 1), dt.date(2026, 1, 31)]


def test_tag_default_applies_when_no_parameter_is_given():
    tags = {**TAGS, "date_range": {**TAGS["date_range"], "default": "past30days"}}
    compiled = compile_native(SQL, tags, [], column_of)
    assert "date_trunc('day', current_date) - 30 * interval '1 day'" in compiled.sql


def test_unknown_field_is_a_clear_error():
    with pytest.raises(QueryError, match="not a known field"):
        compile_native(SQL, TAGS, [parameter("experiment", "string/=", "a")], lambda _: None)


def test_a_field_filter_column_is_quoted_as_its_engine_quotes_identifiers():
    from experiment_analytics.native_query import qualified_column

    parts = ("analytics", "variant_daily_metrics", 'odd"name`')
    assert qualified_column(parts, "postgres") == (
        '"analytics"."variant_daily_metrics"."odd""name`"'
    )
    backticked = '`analytics`.`variant_daily_metrics`.`odd"name```'
    for engine in ("sparksql", "databricks", "spark"):
        assert qualified_column(parts, engine) == backticked
