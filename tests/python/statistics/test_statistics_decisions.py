"""Decisions while an experiment runs (STATISTICS.md §8), against numpy/scipy implementations of
the same formulas: the confidence sequence and sequential p-value (the public vector), the
minimum detectable effect, the latency quantile test and CUPED on random clustered data (the
whole significance macro), and an A/A simulation of 1,000 experiments run in the database:
peeking every day at the fixed-horizon p inflates false positives, the sequential p does not,
and CUPED stays unbiased.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import significance_reference as reference
from scipy import stats

from experiment_analytics.warehouse import connect

ALPHA = 0.05
TUNING_UNITS = 5000


def query(conn, sql: str, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def load_table(conn, table: str, columns: dict[str, tuple[str, list]]) -> None:
    """(Re)create stat_cases.<table> from equal-length lists: name -> (sql type, values)."""
    names = list(columns)
    with conn.cursor() as cur:
        cur.execute("create schema if not exists stat_cases")
        cur.execute(f"drop table if exists stat_cases.{table}")
        selects = ", ".join(f"%s::{columns[n][0]}[]" for n in names)
        cur.execute(
            f"create table stat_cases.{table} as select row_number() over () as case_id, * "
            f"from unnest({selects}) as cases ({', '.join(names)})",
            [columns[n][1] for n in names],
        )


def python_sequence(variance: np.ndarray, n: np.ndarray, z: np.ndarray):
    rho2 = (-2 * math.log(ALPHA) + math.log(1 - 2 * math.log(ALPHA))) / TUNING_UNITS
    half_width = np.sqrt(n * variance) * np.sqrt(
        2 * (n * rho2 + 1) / (n * n * rho2) * np.log(np.sqrt(n * rho2 + 1) / ALPHA)
    )
    p = np.minimum(1, np.sqrt(1 + n * rho2) * np.exp(-(n * rho2 / (1 + n * rho2)) * z**2 / 2))
    return half_width, p


def test_confidence_sequence_public_vector_and_random_cases(
    statistics_database, rendered_statistics
):
    """GrowthBook's Welch vector (§8.1): sequential CI (-0.0894101, 0.6694101), p 0.2907446."""
    n_a, sum_a, squares_a = 3407, 1396.87, 52377.9767
    n_b, sum_b, squares_b = 3461, 2422.7, 134698.29
    var_a = (squares_a - sum_a**2 / n_a) / (n_a - 1)
    var_b = (squares_b - sum_b**2 / n_b) / (n_b - 1)
    diff = sum_b / n_b - sum_a / n_a
    variance = var_a / n_a + var_b / n_b
    rng = np.random.default_rng(21)
    v = np.concatenate([[variance], np.exp(rng.uniform(-12, 4, 2000))])
    n = np.concatenate([[n_a + n_b], rng.integers(60, 5_000_000, 2000)])
    z = np.concatenate([[diff / math.sqrt(variance)], rng.normal(0, 4, 2000)])
    load_table(
        statistics_database,
        "sequence",
        {"v": ("float8", v.tolist()), "n": ("bigint", n.tolist()), "z": ("float8", z.tolist())},
    )
    rows = query(
        statistics_database,
        f"select p_value, half_width from ({rendered_statistics['sequence']}) as s "
        "order by case_id",
    )
    p = np.array([r[0] for r in rows])
    half_width = np.array([r[1] for r in rows])
    assert (round(diff - half_width[0], 7), round(diff + half_width[0], 7)) == (
        -0.0894101,
        0.6694101,
    )
    assert round(p[0], 7) == 0.2907446
    expected_half_width, expected_p = python_sequence(v, n, z)
    assert np.allclose(half_width, expected_half_width, rtol=1e-12, atol=0)
    assert np.allclose(p, expected_p, rtol=1e-12, atol=1e-300)


def test_minimum_detectable_effect_matches_scipy(statistics_database, rendered_statistics):
    rng = np.random.default_rng(22)
    se = np.exp(rng.uniform(-10, 5, 500))
    load_table(statistics_database, "mde", {"se": ("float8", se.tolist())})
    got = np.array(
        [
            r[0]
            for r in query(
                statistics_database,
                f"select mde from ({rendered_statistics['mde']}) as m order by case_id",
            )
        ]
    )
    expected = (stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(0.8)) * se
    assert np.allclose(got, expected, rtol=1e-12, atol=0)
    assert got[0] / se[0] == pytest.approx(2.8015852, abs=1e-7)


def random_clustered_experiments(rng: np.random.Generator, count: int):
    """Experiments with two arms of random size; per unit a random number of generations whose
    acceptance and latency share the unit's own level (clustered), and a pre-period correlated
    with it. Returns the tables the significance macro reads, and the raw arrays per arm."""
    units, variants, experiments, latencies, arms = [], [], [], [], {}
    metric_columns = reference.PRE_COLUMNS
    for experiment_id in range(1, count + 1):
        experiments.append((experiment_id, "acceptance_rate"))
        for arm in (0, 1):
            variant_id = experiment_id * 10 + arm
            variants.append((experiment_id, variant_id, arm == 0))
            n = int(rng.integers(30, 400))
            keep = np.clip(0.4 + 0.04 * arm + rng.uniform(-0.25, 0.25, n), 0, 1)
            generations = 1 + rng.poisson(rng.uniform(2, 12), n)
            accepted = rng.binomial(generations, keep)
            pre_generations = rng.poisson(20, n)
            pre_accepted = rng.binomial(pre_generations, keep)
            unit_scale = np.exp(0.3 * rng.normal(size=n)) * (1.0 + 0.05 * arm)
            unit_ids = [f"u{experiment_id}-{arm}-{i}" for i in range(n)]
            arm_latencies = []
            for i in range(n):
                values = np.round(
                    600 * unit_scale[i] * np.exp(0.5 * rng.normal(size=generations[i])), 1
                )
                arm_latencies.append(values)
                latencies.extend((experiment_id, variant_id, unit_ids[i], float(x)) for x in values)
            arms[variant_id] = {
                "units": [
                    {**dict.fromkeys(reference.TOTALS, 0.0), "accepted": a, "generations": g}
                    for a, g in zip(accepted, generations, strict=True)
                ],
                "pre": [
                    {**dict.fromkeys(metric_columns, 0.0), "accepted": a, "generations": g}
                    for a, g in zip(pre_accepted, pre_generations, strict=True)
                ],
                "latency": np.concatenate(arm_latencies),
                "latency_units": np.concatenate(
                    [[uid] * len(v) for uid, v in zip(unit_ids, arm_latencies, strict=True)]
                ),
            }
            for i in range(n):
                units.append(
                    (
                        experiment_id,
                        variant_id,
                        unit_ids[i],
                        int(accepted[i]),
                        int(generations[i]),
                        int(pre_accepted[i]),
                        int(pre_generations[i]),
                    )
                )
    return units, variants, experiments, latencies, arms


def load_significance_inputs(conn, units, variants, experiments, latencies) -> None:
    load_table(
        conn,
        "sig_units",
        {
            "experiment_id": ("integer", [u[0] for u in units]),
            "variant_id": ("integer", [u[1] for u in units]),
            "unit_id": ("text", [u[2] for u in units]),
            "first_metric_date": ("date", ["2026-01-01"] * len(units)),
            "last_metric_date": ("date", ["2026-01-01"] * len(units)),
            "accepted_count": ("float8", [u[3] for u in units]),
            "generation_count": ("float8", [u[4] for u in units]),
            "pre_accepted_count": ("float8", [u[5] for u in units]),
            "pre_generation_count": ("float8", [u[6] for u in units]),
        },
    )
    load_table(
        conn,
        "sig_variants",
        {
            "experiment_id": ("integer", [v[0] for v in variants]),
            "variant_id": ("integer", [v[1] for v in variants]),
            "is_control": ("boolean", [v[2] for v in variants]),
            "experiment_name": ("text", [f"e{v[0]}" for v in variants]),
            "variant_name": ("text", [f"v{v[1]}" for v in variants]),
            "allocation": ("float8", [0.5] * len(variants)),
        },
    )
    load_table(
        conn,
        "sig_experiments",
        {
            "experiment_id": ("integer", [e[0] for e in experiments]),
            "primary_metric_name": ("text", [e[1] for e in experiments]),
            "planned_end_date": ("date", [None] * len(experiments)),
            "planned_unit_count": ("integer", [None] * len(experiments)),
        },
    )
    load_table(
        conn,
        "sig_latencies",
        {
            "experiment_id": ("integer", [x[0] for x in latencies]),
            "variant_id": ("integer", [x[1] for x in latencies]),
            "unit_id": ("text", [x[2] for x in latencies]),
            "latency_ms": ("float8", [x[3] for x in latencies]),
        },
    )


def test_quantile_test_and_cuped_match_numpy_on_random_clustered_data(
    statistics_database, rendered_statistics
):
    """§8.3 and §8.4 through the whole significance macro: p within 1e-9, intervals and
    estimates within 1e-7 relative, against numpy/scipy implementations of the same formulas."""
    rng = np.random.default_rng(23)
    units, variants, experiments, latencies, arms = random_clustered_experiments(rng, 40)
    load_significance_inputs(statistics_database, units, variants, experiments, latencies)
    with statistics_database.cursor() as cur:
        cur.execute(rendered_statistics["significance"])
        names = [d.name for d in cur.description]
        got = {
            (row["experiment_id"], row["metric_name"]): row
            for row in (dict(zip(names, r, strict=True)) for r in cur.fetchall())
        }
    assert len(got) == 40 * 4
    z = stats.norm.ppf(1 - ALPHA / 2)
    reductions = []
    for experiment_id in range(1, 41):
        control, treatment = arms[experiment_id * 10], arms[experiment_id * 10 + 1]
        for metric, level in reference.QUANTILES.items():
            c = reference._quantile_arm(control["latency"], control["latency_units"], level)
            t = reference._quantile_arm(treatment["latency"], treatment["latency_units"], level)
            row = got[(experiment_id, metric)]
            diff = t["value"] - c["value"]
            se = math.sqrt(c["variance"] / c["n"] + t["variance"] / t["n"])
            assert row["control_value"] == pytest.approx(c["value"], rel=1e-12)
            assert row["diff"] == pytest.approx(diff, rel=1e-12, abs=1e-9)
            assert row["standard_error"] == pytest.approx(se, rel=1e-9)
            assert abs(row["p_value"] - 2 * stats.norm.sf(abs(diff / se))) <= 1e-9
            assert row["ci_upper"] - row["ci_lower"] == pytest.approx(2 * z * se, rel=1e-7)
            assert row["degrees_of_freedom"] is None and row["cuped_theta"] is None
        c = reference._ratio_arm(control["units"], control["pre"], "accepted", "generations")
        t = reference._ratio_arm(treatment["units"], treatment["pre"], "accepted", "generations")
        theta = (t["covariance"] / t["n"] + c["covariance"] / c["n"]) / (
            t["covariate_variance"] / t["n"] + c["covariate_variance"] / c["n"]
        )
        adjusted = {
            name: (
                arm["variance"]
                - 2 * theta * arm["covariance"]
                + theta**2 * arm["covariate_variance"]
            )
            for name, arm in (("c", c), ("t", t))
        }
        diff = (t["value"] - c["value"]) - theta * (t["covariate"] - c["covariate"])
        welch = stats.ttest_ind_from_stats(
            t["value"] - theta * t["covariate"],
            math.sqrt(adjusted["t"]),
            t["n"],
            c["value"] - theta * c["covariate"],
            math.sqrt(adjusted["c"]),
            c["n"],
            equal_var=False,
        )
        row = got[(experiment_id, "acceptance_rate")]
        assert row["cuped_theta"] == pytest.approx(theta, rel=1e-9)
        assert row["diff"] == pytest.approx(diff, rel=1e-9, abs=1e-12)
        assert row["standard_error"] == pytest.approx(
            math.sqrt(adjusted["t"] / t["n"] + adjusted["c"] / c["n"]), rel=1e-9
        )
        assert abs(row["p_value"] - welch.pvalue) <= 1e-9
        reductions.append(row["variance_reduction"])
    # the pre-period explains part of each unit's level: CUPED removes variance every time
    assert min(reductions) > 0.05


SIMULATED_EXPERIMENTS = 2000
PEEKS = 10  # daily looks
UNITS_PER_EXPERIMENT = 200  # arriving evenly over the days
CORRELATION = 0.6  # of a unit's metric with its pre-period value


def test_aa_simulation_peeking_sequential_and_cuped(new_database, rendered_statistics):
    """2,000 A/A experiments in the database, looked at every day for 10 days.

    Each unit's metric is 0.6 x (its pre-period value) + 0.8 x noise (standard normals: the
    correlation is 0.6), drawn in SQL from seeded hashes. Each (experiment, day) is analysed
    by the significance macro over the units arrived so far. Then: stopping at the first
    fixed-horizon p < 0.05 gives far more than 5 % false positives; the sequential p stays
    below 5 %; at the final day the CUPED-adjusted fixed-horizon false-positive rate lies in the
    binomial 99 % band of 5 %, and about 1 - 0.6^2 of the variance remains.
    """
    conn = connect(new_database("statistics_simulation"))
    conn.autocommit = True
    normal = (
        "sqrt(-2.0 * ln(1.0 - (({hash} >> 32) & 4294967295)::float8 / 4294967296.0))"
        " * cos(2.0 * pi() * ({hash} & 4294967295)::float8 / 4294967296.0)"
    )
    draw = {
        stream: normal.format(
            hash=f"hashint8extended(s.simulation_id * 100000 + u.unit_number, {stream})"
        )
        for stream in (1, 2)
    }
    with conn.cursor() as cur:
        cur.execute(rendered_statistics["ddl"])
        cur.execute("create schema stat_cases")
        cur.execute(
            f"""
            create table stat_cases.aa_draws as
            select
                s.simulation_id,
                u.unit_number,
                1 + (u.unit_number - 1) % {PEEKS} as arrival_day,
                hashint8extended(s.simulation_id * 100000 + u.unit_number, 3) & 1 as arm,
                x.value as pre_value,
                {CORRELATION} * x.value + {math.sqrt(1 - CORRELATION**2)} * e.value as value
            from generate_series(1, {SIMULATED_EXPERIMENTS}) as s (simulation_id)
            cross join generate_series(1, {UNITS_PER_EXPERIMENT}) as u (unit_number)
            cross join lateral (
                select {draw[1]} as value
            ) as x
            cross join lateral (
                select {draw[2]} as value
            ) as e
            """
        )
        # every (simulation, day) is one analysed "experiment" holding the units arrived so far
        cur.execute(
            f"""
            create table stat_cases.aa_units as
            select
                d.simulation_id * 100 + d.day as experiment_id,
                (d.simulation_id * 100 + d.day) * 2 + d.arm as variant_id,
                'u' || d.unit_number as unit_id,
                date '2026-01-01' + d.arrival_day as first_metric_date,
                date '2026-01-01' + d.day as last_metric_date,
                d.value as accepted_count,
                1.0::float8 as generation_count,
                d.pre_value as pre_accepted_count,
                1.0::float8 as pre_generation_count
            from (
                select draws.*, days.day
                from stat_cases.aa_draws as draws
                inner join generate_series(1, {PEEKS}) as days (day)
                    on draws.arrival_day <= days.day
            ) as d
            """
        )
        cur.execute(
            """
            create table stat_cases.aa_variants as
            select
                e.experiment_id,
                e.experiment_id * 2 + a.arm as variant_id,
                a.arm = 0 as is_control,
                'e' || e.experiment_id as experiment_name,
                'arm ' || a.arm as variant_name,
                0.5::float8 as allocation
            from (select distinct experiment_id from stat_cases.aa_units) as e
            cross join (values (0), (1)) as a (arm)
            """
        )
        cur.execute(
            """
            create table stat_cases.aa_experiments as
            select distinct
                experiment_id,
                'acceptance_rate' as primary_metric_name,
                null::date as planned_end_date,
                null::integer as planned_unit_count
            from stat_cases.aa_units
            """
        )
        cur.execute("analyze stat_cases.aa_units")
        cur.execute(rendered_statistics["simulation"])
        rows = cur.fetchall()
    conn.close()
    assert len(rows) == SIMULATED_EXPERIMENTS * PEEKS
    by_simulation: dict[int, dict[int, tuple]] = {}
    # A look gives a verdict only where the dashboard would: status 'ok' (30 units per arm,
    # no SRM flag); the first days have too few units.
    for experiment_id, diff, p, p_sequential, reduction, status in rows:
        by_simulation.setdefault(experiment_id // 100, {})[experiment_id % 100] = (
            diff,
            status == "ok" and p < ALPHA,
            status == "ok" and p_sequential < ALPHA,
            reduction,
            status,
        )
    peeking_fixed = np.mean([any(d[1] for d in days.values()) for days in by_simulation.values()])
    peeking_sequential = np.mean(
        [any(d[2] for d in days.values()) for days in by_simulation.values()]
    )
    final = [days[PEEKS] for days in by_simulation.values() if days[PEEKS][4] == "ok"]
    assert len(final) >= 0.99 * SIMULATED_EXPERIMENTS
    final_fixed = np.mean([day[1] for day in final])
    band = 2.5758 * math.sqrt(ALPHA * (1 - ALPHA) / len(final))
    reduction = np.mean([day[3] for day in final])
    print(
        f"A/A over {SIMULATED_EXPERIMENTS} experiments, {PEEKS} daily looks: "
        f"false positives peeking fixed-horizon {peeking_fixed:.3f}, sequential "
        f"{peeking_sequential:.3f}; final-day CUPED fixed-horizon {final_fixed:.3f} "
        f"(band {ALPHA - band:.3f}-{ALPHA + band:.3f}); variance reduction {reduction:.3f}"
    )
    assert peeking_fixed > ALPHA + band, "peeking at the fixed-horizon p should inflate errors"
    assert peeking_sequential <= ALPHA
    assert ALPHA - band <= final_fixed <= ALPHA + band
    assert abs(np.mean([day[0] for day in final])) < 0.01  # CUPED estimate unbiased
    assert reduction == pytest.approx(CORRELATION**2, abs=0.05)
