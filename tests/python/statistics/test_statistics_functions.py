"""The statistics building blocks against scipy, on PostgreSQL 18 and 15.

Thousands of random cases per block, batched into one statement each (arrays unnested), compared
with the accuracy targets of the project's statistics reference (summarised in
macros/statistics/_statistics.yml), plus the public check values from GrowthBook's test suite.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

CASES = 3000


def query(conn, sql: str, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def column(conn, sql: str, params=None) -> np.ndarray:
    return np.array([row[0] for row in query(conn, sql, params)], dtype=float)


def load_cases(conn, table: str, columns: dict[str, np.ndarray | list]) -> None:
    """(Re)create stat_cases.<table> from equal-length arrays, with a case_id 1..n."""
    names = list(columns)
    types = ["float8" if np.asarray(columns[n]).dtype.kind == "f" else "bigint" for n in names]
    with conn.cursor() as cur:
        cur.execute("create schema if not exists stat_cases")
        cur.execute(f"drop table if exists stat_cases.{table}")
        selects = ", ".join(f"%s::{t}[]" for t in types)
        cur.execute(
            f"create table stat_cases.{table} as select row_number() over () as case_id, * "
            f"from unnest({selects}) as cases ({', '.join(names)})",
            [np.asarray(columns[n]).tolist() for n in names],
        )


def test_normal_tail_matches_scipy(statistics_database):
    rng = np.random.default_rng(1)
    z = np.concatenate(
        [rng.uniform(-9, 9, CASES), np.linspace(-9, 9, 181), [0.0, 7.07106781186547]]
    )
    got = column(
        statistics_database,
        "select analytics.stat_normal_sf(z) from unnest(%s::float8[]) with ordinality as c(z, i) "
        "order by i",
        [z.tolist()],
    )
    error = np.abs(got - stats.norm.sf(z))
    assert error.max() <= 1e-15, f"worst z = {z[error.argmax()]}: error {error.max():.3g}"
    # the far tail: relative accuracy too (A&S 7.1.26 would fail here)
    far = np.linspace(9, 37, 57)
    got_far = column(
        statistics_database,
        "select analytics.stat_normal_sf(z) from unnest(%s::float8[]) with ordinality as c(z, i) "
        "order by i",
        [far.tolist()],
    )
    assert np.allclose(got_far, stats.norm.sf(far), rtol=1e-11, atol=0)


def test_normal_quantile_matches_scipy(statistics_database):
    rng = np.random.default_rng(2)
    p = np.concatenate([rng.uniform(1e-12, 1 - 1e-12, CASES), 10.0 ** -rng.uniform(2, 300, 200)])
    got = column(
        statistics_database,
        "select analytics.stat_normal_quantile(p) from unnest(%s::float8[]) "
        "with ordinality as c(p, i) order by i",
        [p.tolist()],
    )
    # Hart #5666 is accurate in absolute terms; its relative error near z = 7 (~1e-9) limits
    # the extreme-tail quantiles to ~4e-11 relative.
    assert np.allclose(got, stats.norm.ppf(p), rtol=1e-10, atol=1e-13)


def test_t_two_sided_p_matches_scipy(statistics_database):
    rng = np.random.default_rng(3)
    df = np.exp(rng.uniform(math.log(1.0), math.log(2e6), CASES))
    t = rng.normal(0, 3, CASES)
    got = column(
        statistics_database,
        "select analytics.stat_t_two_sided_p(t, df) from unnest(%s::float8[], %s::float8[]) "
        "with ordinality as c(t, df, i) order by i",
        [t.tolist(), df.tolist()],
    )
    error = np.abs(got - 2 * stats.t.sf(np.abs(t), df))
    worst = error.argmax()
    assert error.max() <= 1e-11, f"worst t={t[worst]}, df={df[worst]}: {error.max():.3g}"


def test_welch_p_value_and_confidence_interval_match_scipy(
    statistics_database, rendered_statistics
):
    """n from 30 to 10^6 per arm; p vs ttest_ind_from_stats, CI half-width vs t.ppf * se."""
    rng = np.random.default_rng(4)
    n_t = np.exp(rng.uniform(math.log(30), math.log(1e6), CASES)).round().astype(np.int64)
    n_c = np.exp(rng.uniform(math.log(30), math.log(1e6), CASES)).round().astype(np.int64)
    sd_t = np.exp(rng.uniform(-3, 3, CASES))
    sd_c = sd_t * np.exp(rng.uniform(-1.5, 1.5, CASES))
    mean_c = rng.normal(0, 10, CASES)
    se_guess = np.sqrt(sd_t**2 / n_t + sd_c**2 / n_c)
    mean_t = mean_c + se_guess * rng.normal(0, 2.5, CASES)
    vt, vc = sd_t**2 / n_t, sd_c**2 / n_c
    load_cases(statistics_database, "welch", {"vt": vt, "nt": n_t, "vc": vc, "nc": n_c})
    df = column(
        statistics_database,
        f"select df from ({rendered_statistics['welch']}) as w order by case_id",
    )
    load_cases(
        statistics_database,
        "welch_df",
        {"diff": mean_t - mean_c, "se": np.sqrt(vt + vc), "df": df},
    )
    rows = query(
        statistics_database,
        f"select p_value, half_width from ({rendered_statistics['welch_p']}) as w order by case_id",
    )
    p = np.array([r[0] for r in rows])
    half_width = np.array([r[1] for r in rows])

    reference = stats.ttest_ind_from_stats(mean_t, sd_t, n_t, mean_c, sd_c, n_c, equal_var=False)
    p_error = np.abs(p - reference.pvalue)
    assert p_error.max() <= 1e-9, f"worst case {p_error.argmax()}: {p_error.max():.3g}"
    scipy_df = (vt + vc) ** 2 / (vt**2 / (n_t - 1) + vc**2 / (n_c - 1))
    assert np.allclose(df, scipy_df, rtol=1e-12)
    expected_half_width = stats.t.ppf(0.975, scipy_df) * np.sqrt(vt + vc)
    assert np.abs(half_width / expected_half_width - 1).max() <= 1e-7


def test_t_quantile_matches_scipy(statistics_database):
    rng = np.random.default_rng(5)
    df = np.exp(rng.uniform(math.log(1.0), math.log(2e6), CASES))
    p = rng.uniform(0.001, 0.999, CASES)
    p[:500] = 0.975
    got = column(
        statistics_database,
        "select analytics.stat_t_quantile(p, df) from unnest(%s::float8[], %s::float8[]) "
        "with ordinality as c(p, df, i) order by i",
        [p.tolist(), df.tolist()],
    )
    expected = stats.t.ppf(p, df)
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-12)
    at_975 = (p == 0.975) & (df >= 29)
    assert np.abs(got[at_975] / expected[at_975] - 1).max() <= 1e-7


def test_chi_square_survival_and_srm_match_scipy(statistics_database, rendered_statistics):
    rng = np.random.default_rng(6)
    df = rng.integers(1, 40, CASES)
    x = df * np.exp(rng.uniform(-3, 2.5, CASES))
    got = column(
        statistics_database,
        "select analytics.stat_chi_square_sf(x, df) from unnest(%s::float8[], %s::int[]) "
        "with ordinality as c(x, df, i) order by i",
        [x.tolist(), df.tolist()],
    )
    assert np.abs(got - stats.chi2.sf(x, df)).max() <= 1e-12

    # SRM through the macro: random experiments with 2-5 arms, unit counts near the allocation
    experiments, allocations, counts, expected_p = [], [], [], {}
    for experiment_id in range(1, 501):
        arms = int(rng.integers(2, 6))
        weights = rng.dirichlet(np.ones(arms)) * 0.9 + 0.1 / arms
        total = int(np.exp(rng.uniform(math.log(60), math.log(2e6))))
        observed = rng.multinomial(total, rng.dirichlet(weights * 2000))
        experiments += [experiment_id] * arms
        allocations += weights.tolist()
        counts += observed.tolist()
        expected_p[experiment_id] = stats.chisquare(
            observed, weights / weights.sum() * total
        ).pvalue
    load_cases(
        statistics_database,
        "arms",
        {
            "experiment_id": np.array(experiments),
            "allocation": np.array(allocations),
            "unit_count": np.array(counts),
        },
    )
    rows = query(
        statistics_database,
        f"select experiment_id, srm_p_value from ({rendered_statistics['srm']}) as s",
    )
    assert len(rows) == len(expected_p)
    error = max(abs(p - expected_p[experiment_id]) for experiment_id, p in rows)
    assert error <= 1e-12


def holm(p: np.ndarray) -> np.ndarray:
    """Holm by its definition: sorted ascending, min(1, running max of (m - i + 1) p_(i))."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted_sorted = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return adjusted


def adjust_in_sql(conn, rendered_statistics, families: list[np.ndarray]) -> dict:
    family_ids = np.concatenate([[i] * len(f) for i, f in enumerate(families)]).astype(np.int64)
    load_cases(conn, "p_values", {"family_id": family_ids, "p_value": np.concatenate(families)})
    rows = query(
        conn,
        f"select family_id, case_id, p_value_holm, p_value_benjamini_hochberg "
        f"from ({rendered_statistics['adjust']}) as a order by case_id",
    )
    return {
        "holm": np.array([r[2] for r in rows]),
        "bh": np.array([r[3] for r in rows]),
    }


def test_holm_and_benjamini_hochberg_match_definitions(statistics_database, rendered_statistics):
    rng = np.random.default_rng(7)
    families = []
    for _ in range(400):
        m = int(rng.integers(1, 30))
        p = rng.uniform(0, 1, m) ** rng.uniform(1, 6)
        if m > 3:
            p[1] = p[0]  # ties
        families.append(p)
    got = adjust_in_sql(statistics_database, rendered_statistics, families)
    holm_expected = np.concatenate([holm(f) for f in families])
    bh_expected = np.concatenate([stats.false_discovery_control(f, method="bh") for f in families])
    assert np.abs(got["holm"] - holm_expected).max() <= 1e-12
    assert np.abs(got["bh"] - bh_expected).max() <= 1e-12


def test_public_check_values(statistics_database, rendered_statistics):
    """GrowthBook's published cases (packages/stats/tests)."""
    # Welch, absolute difference, from sums and sums of squares
    n_a, sum_a, squares_a = 3407, 1396.87, 52377.9767
    n_b, sum_b, squares_b = 3461, 2422.7, 134698.29
    var_a = (squares_a - sum_a**2 / n_a) / (n_a - 1)
    var_b = (squares_b - sum_b**2 / n_b) / (n_b - 1)
    load_cases(
        statistics_database,
        "welch",
        {
            "vt": np.array([var_b / n_b]),
            "nt": np.array([n_b]),
            "vc": np.array([var_a / n_a]),
            "nc": np.array([n_a]),
        },
    )
    (df,) = column(statistics_database, f"select df from ({rendered_statistics['welch']}) as w")
    diff = sum_b / n_b - sum_a / n_a
    load_cases(
        statistics_database,
        "welch_df",
        {
            "diff": np.array([diff]),
            "se": np.array([math.sqrt(var_a / n_a + var_b / n_b)]),
            "df": np.array([df]),
        },
    )
    ((p, half_width),) = query(
        statistics_database,
        f"select p_value, half_width from ({rendered_statistics['welch_p']}) as w",
    )
    assert round(diff, 5) == 0.29
    assert (round(diff - half_width, 5), round(diff + half_width, 5)) == (0.04538, 0.53462)
    assert round(p, 5) == 0.02016

    # SRM: [1000, 1200] at 50/50
    load_cases(
        statistics_database,
        "arms",
        {
            "experiment_id": np.array([1, 1]),
            "allocation": np.array([0.5, 0.5]),
            "unit_count": np.array([1000, 1200]),
        },
    )
    ((_, srm_p),) = query(
        statistics_database,
        f"select experiment_id, srm_p_value from ({rendered_statistics['srm']}) as s",
    )
    assert srm_p == pytest.approx(2.0079e-5, rel=1e-4)

    holm_p = [0.01, 0.04, 0.03, 0.005, 0.55, 0.6]
    bh_p = [0.898, 0.138, 0.007, 0.964, 0.538, 0.006, 0.138]
    got = adjust_in_sql(
        statistics_database, rendered_statistics, [np.array(holm_p), np.array(bh_p)]
    )
    assert np.allclose(got["holm"][:6], [0.05, 0.12, 0.12, 0.03, 1, 1], atol=1e-12)
    assert np.allclose(
        got["bh"][6:], [0.964, 0.2415, 0.0245, 0.964, 0.7532, 0.0245, 0.2415], atol=5e-5
    )


def test_ratio_metric_variance_and_sequential_p(statistics_database, rendered_statistics):
    """Delta method against a direct computation on unit data; sequential p against its formula."""
    rng = np.random.default_rng(8)
    rows = []
    for _ in range(200):
        n = int(rng.integers(30, 3000))
        d = rng.poisson(rng.uniform(1, 30), n) + 1.0
        m = rng.binomial(d.astype(int), rng.uniform(0.1, 0.9)).astype(float)
        cov = np.cov(m, d, ddof=1)
        r = m.mean() / d.mean()
        expected = (cov[0, 0] - 2 * r * cov[0, 1] + r**2 * cov[1, 1]) / d.mean() ** 2
        # the same quantity as the sample variance of the linearised unit values
        assert expected == pytest.approx(np.var((m - r * d) / d.mean(), ddof=1), rel=1e-9)
        rows.append((m.mean(), d.mean(), cov[0, 0], cov[1, 1], cov[0, 1], expected))
    data = np.array(rows)
    load_cases(
        statistics_database,
        "ratio",
        {"mm": data[:, 0], "md": data[:, 1], "vm": data[:, 2], "vd": data[:, 3], "cmd": data[:, 4]},
    )
    got = column(
        statistics_database,
        f"select unit_variance from ({rendered_statistics['ratio']}) as r order by case_id",
    )
    assert np.allclose(got, data[:, 5], rtol=1e-9)

    z = rng.normal(0, 4, 1000)
    n = rng.integers(60, 2_000_000, 1000)
    load_cases(statistics_database, "sequential", {"z": z, "n": n})
    got = column(
        statistics_database,
        f"select p_value from ({rendered_statistics['sequential']}) as s order by case_id",
    )
    alpha, tuning = 0.05, 5000
    rho2 = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning
    expected = np.minimum(
        1, np.sqrt(1 + n * rho2) * np.exp(-(n * rho2 / (1 + n * rho2)) * z**2 / 2)
    )
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-300)
    assert (got >= 0).all() and (got <= 1).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("stat_t_two_sided_p(1.0, 0.0)", "df must be > 0"),
        ("stat_t_quantile(1.5, 10.0)", "p must be in (0, 1)"),
        ("stat_chi_square_sf(3.0, 0)", "df must be >= 1"),
        ("stat_normal_quantile(-0.1)", "p must be in [0, 1]"),
        ("stat_incomplete_beta(0.5, -1.0, 1.0)", "a and b must be > 0"),
    ],
)
def test_bad_input_raises_a_clear_error(statistics_database, call, message):
    import psycopg2

    with pytest.raises(
        psycopg2.errors.RaiseException,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        query(statistics_database, f"select analytics.{call}")


def test_t_two_sided_p_near_zero_matches_scipy(statistics_database):
    """|t| -> 0 with df < 100 (1 - x would cancel there): abs error <= 1e-9 for every df >= 1.5."""
    rng = np.random.default_rng(9)
    df = np.exp(rng.uniform(math.log(1.5), math.log(100), CASES))
    t = rng.choice([-1, 1], CASES) * 10.0 ** -rng.uniform(0, 12, CASES)
    t[:200] = rng.normal(0, 1e-3, 200)
    got = column(
        statistics_database,
        "select analytics.stat_t_two_sided_p(t, df) from unnest(%s::float8[], %s::float8[]) "
        "with ordinality as c(t, df, i) order by i",
        [t.tolist(), df.tolist()],
    )
    error = np.abs(got - 2 * stats.t.sf(np.abs(t), df))
    worst = error.argmax()
    assert error.max() <= 1e-9, f"worst t={t[worst]}, df={df[worst]}: {error.max():.3g}"


def test_adjusted_p_is_null_exactly_where_raw_p_is_null(statistics_database, rendered_statistics):
    """LEAST/GREATEST skip nulls: a missing p-value must not turn into an adjusted 1."""
    families = [[0.01, None, 0.04, 0.03], [None, None], [0.2]]
    with statistics_database.cursor() as cur:
        cur.execute("create schema if not exists stat_cases")
        cur.execute("drop table if exists stat_cases.p_values")
        cur.execute(
            "create table stat_cases.p_values as select row_number() over () as case_id, * "
            "from unnest(%s::bigint[], %s::float8[]) as cases (family_id, p_value)",
            [[i for i, f in enumerate(families) for _ in f], [p for f in families for p in f]],
        )
    rows = query(
        statistics_database,
        f"select p_value_holm, p_value_benjamini_hochberg "
        f"from ({rendered_statistics['adjust']}) as a order by case_id",
    )
    got = {
        "holm": np.array([r[0] for r in rows], dtype=float),
        "bh": np.array([r[1] for r in rows], dtype=float),
    }
    raw = np.array([p for f in families for p in f], dtype=float)
    for name in ("holm", "bh"):
        assert np.array_equal(np.isnan(got[name]), np.isnan(raw)), name
    # the null rows do not count in their family: Holm of [0.01, 0.04, 0.03] with m = 3
    assert np.allclose(got["holm"][[0, 2, 3]], [0.03, 0.06, 0.06], atol=1e-12)
