"""The distribution functions on Spark (SQL expressions,
macros/statistics/distribution_functions.sql) equal the PostgreSQL functions they port
(create_statistics_functions.sql) on a grid that crosses every branch: tails, switch points of
the approximations, small and large df, even and odd chi-square df, swapped continued fractions.
"""

from __future__ import annotations

import math

import pytest

NORMAL_Z = [-40.0, -37.5, -10.0, -7.2, -7.0, -3.0, -1.0, -0.1, 0.0, 0.1, 1.0, 1.96, 3.0, 7.0,
            7.2, 10.0, 20.0, 37.5, 40.0]  # fmt: skip
NORMAL_P = [0.0, 1e-300, 1e-10, 0.001, 0.02, 0.025, 0.3, 0.5, 0.7, 0.975, 0.98, 0.999,
            1 - 1e-10, 1.0]  # fmt: skip
T_VALUES = [-5.0, -2.0, -0.5, 0.0, 0.01, 1.5, 3.0, 10.0, 40.0]
T_DF = [1.0, 2.5, 10.0, 99.9, 100.0, 1000.0, 1e6]
T_P = [0.001, 0.025, 0.3, 0.5, 0.9, 0.975, 0.995]
CHI_X = [0.0, 0.5, 3.0, 10.0, 50.0, 2000.0]
CHI_DF = [1, 2, 3, 4, 5, 10, 11]

CASES = {
    "stat_normal_sf": [(z,) for z in NORMAL_Z],
    "stat_normal_quantile": [(p,) for p in NORMAL_P],
    "stat_t_two_sided_p": [(t, df) for t in T_VALUES for df in T_DF],
    "stat_t_quantile": [(p, df) for p in T_P for df in T_DF],
    "stat_chi_square_sf": [(x, df) for x in CHI_X for df in CHI_DF],
}


def _spark_literal(value: float) -> str:
    return f"cast({int(value)} as int)" if isinstance(value, int) else f"{value!r}D"


@pytest.fixture(scope="module")
def spark_values(engines):
    """Every case evaluated on Spark by the macros, in one compiled query."""
    selects = []
    for function, cases in CASES.items():
        arguments = ", ".join(f"'v{i}'" for i in range(len(cases[0])))
        rows = ", ".join(
            "(" + ", ".join(_spark_literal(v) for v in case) + f", {number})"
            for number, case in enumerate(cases)
        )
        columns = ", ".join(f"v{i}" for i in range(len(cases[0])))
        selects.append(
            f"select '{function}' as fn, case_number, {{{{ {function}({arguments}) }}}} as value"
            f" from values {rows} as cases({columns}, case_number)"
        )
    compiled = engines.spark.compile_inline(" union all ".join(selects))
    return {(fn, number): value for fn, number, value in engines.spark.sql(compiled)}


@pytest.mark.parametrize("function", sorted(CASES))
def test_spark_expression_equals_the_postgresql_function(engines, spark_values, function):
    for number, case in enumerate(CASES[function]):
        arguments = ", ".join(
            f"{v}::integer" if isinstance(v, int) else f"'{v!r}'::float8" for v in case
        )
        (expected,) = engines.pg(f"select analytics.{function}({arguments})")[0]
        actual = spark_values[(function, number)]
        assert _close(actual, expected), f"{function}{case}: Spark {actual!r}, PG {expected!r}"


def test_spark_expression_raises_the_same_domain_error(engines):
    compiled = engines.spark.compile_inline("select {{ stat_normal_quantile('1.5D') }}")
    with pytest.raises(Exception, match=r"stat_normal_quantile: p must be in \[0, 1\], got 1.5"):
        engines.spark.sql(compiled)


def _close(actual, expected) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if math.isinf(expected) or math.isnan(expected):
        return actual == expected or (math.isnan(expected) and math.isnan(actual))
    return abs(actual - expected) <= 1e-9 * abs(expected) or abs(actual - expected) < 1e-300
