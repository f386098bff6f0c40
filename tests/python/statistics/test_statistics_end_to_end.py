"""End to end on the demo data set: the statistics models and the Metabase card query against an
independent Python recomputation from the raw exp tables (significance_reference.py).

One demo warehouse per session (statistics_warehouse in conftest.py): demo data, `dbt run` of the
statistics models and everything they read, `dbt test` of the statistics models.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
import significance_reference as reference
from scipy import stats

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.demo_data import SRM_EXPERIMENT_ID, TRUE_EFFECTS
from experiment_analytics.metabase.spec import parse_dashboard
from experiment_analytics.warehouse import connect

pytestmark = pytest.mark.slow

COLUMNS = [
    "experiment_id", "treatment_variant_id", "metric_name", "metric_role", "experiment_name",
    "control_variant_id", "control_variant_name", "treatment_variant_name", "n_control_units",
    "n_treatment_units", "control_value", "treatment_value", "diff", "diff_unadjusted",
    "relative_lift", "standard_error", "standard_error_unadjusted", "cuped_theta",
    "variance_reduction", "degrees_of_freedom", "ci_lower", "ci_upper", "p_value",
    "ci_lower_sequential", "ci_upper_sequential", "p_value_sequential", "non_inferiority_margin",
    "p_value_non_inferiority", "p_value_non_inferiority_sequential", "decision_basis",
    "decision_basis_reason", "decision_ci_lower", "decision_ci_upper", "p_value_decision",
    "p_value_adjusted", "p_value_benjamini_hochberg", "family_size", "srm_p_value", "status",
    "is_significant", "verdict",
]  # fmt: skip
EXACT = {
    "metric_role", "experiment_name", "control_variant_id", "control_variant_name",
    "treatment_variant_name", "n_control_units", "n_treatment_units", "status", "is_significant",
    "decision_basis", "decision_basis_reason", "family_size", "verdict",
    "non_inferiority_margin",
}  # fmt: skip
PROBABILITIES = {
    "p_value", "p_value_adjusted", "p_value_benjamini_hochberg", "p_value_sequential",
    "srm_p_value", "p_value_non_inferiority", "p_value_non_inferiority_sequential",
    "p_value_decision",
}  # fmt: skip
# interval ends: compared relative to their interval's half-width
INTERVALS = {
    "ci_lower": ("ci_lower", "ci_upper"),
    "ci_upper": ("ci_lower", "ci_upper"),
    "ci_lower_sequential": ("ci_lower_sequential", "ci_upper_sequential"),
    "ci_upper_sequential": ("ci_lower_sequential", "ci_upper_sequential"),
    "decision_ci_lower": ("decision_ci_lower", "decision_ci_upper"),
    "decision_ci_upper": ("decision_ci_lower", "decision_ci_upper"),
}


def rows_of(settings, query: str, columns: list[str]) -> dict[tuple, dict]:
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(query)
        names = [d.name for d in cur.description]
        result = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    conn.close()
    return {
        (r["experiment_id"], r["treatment_variant_id"], r["metric_name"]): {
            c: r.get(c) for c in columns
        }
        for r in result
    }


def assert_same_table(got: dict, expected: dict) -> None:
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    assert not missing and not extra, f"missing {missing[:5]}, extra {extra[:5]}"
    for key, row in expected.items():
        for column in (c for c in COLUMNS if c in row and c in got[key]):
            want, have = row[column], got[key][column]
            where = f"{key} {column}: got {have!r}, expected {want!r}"
            if column in EXACT or want is None or have is None or isinstance(want, str):
                assert have == want, where
            elif column in PROBABILITIES:
                assert abs(have - want) <= 1e-9, where
            elif column in INTERVALS:
                lower, upper = INTERVALS[column]
                half_width = abs(row[upper] - row[lower]) / 2
                assert abs(have - want) <= 1e-7 * half_width + 1e-12 * abs(want), where
            elif column in ("cuped_theta", "variance_reduction"):
                assert have == pytest.approx(want, rel=1e-7, abs=1e-9), where
            else:
                assert have == pytest.approx(want, rel=1e-9, abs=1e-12), where


@pytest.fixture(scope="module")
def raw(statistics_warehouse):
    return reference.load_raw(statistics_warehouse.settings)


@pytest.fixture(scope="module")
def variant_significance(statistics_warehouse):
    return rows_of(
        statistics_warehouse.settings, "select * from analytics.variant_significance", COLUMNS
    )


def card_query(
    statistics_warehouse, *, experiment: str | None = None, dates=None, excluded=()
) -> str:
    """The compiled card with its optional clauses filled the way Metabase fills field filters
    (excluded: days an "exclude" date filter leaves out of the range)."""
    sql = statistics_warehouse.card_sql()
    experiment_clause = "[[and {{experiment}}]]"
    date_clause = "[[and {{date_range}}]]"
    assert experiment_clause in sql and date_clause in sql, "card lost its Metabase filters"
    sql = sql.replace(
        experiment_clause,
        f"""and "analytics"."arm_day_pair_statistics"."experiment_name" = '{experiment}'"""
        if experiment
        else "",
    )
    return sql.replace(
        date_clause,
        f"""and "analytics"."arm_day_pair_statistics"."metric_date"
            between '{dates[0]}' and '{dates[1]}'"""
        + "".join(
            f""" and "analytics"."arm_day_pair_statistics"."metric_date" <> '{day}'"""
            for day in excluded
        )
        if dates
        else "",
    )


def test_variant_significance_equals_python_recomputation(raw, variant_significance):
    """The mart reads the card tables: its latency quantile test is the histogram's (the exact
    test's distance from it: test_histogram_quantile_test_within_bound_of_exact_test)."""
    expected = reference.significance(raw, histogram=True)
    assert len(expected) >= 40
    assert_same_table(variant_significance, expected)
    statuses = {row["status"] for row in expected.values()}
    assert {"ok", "srm"} <= statuses


def test_srm_experiment_is_flagged_and_verdicts_withheld(
    statistics_warehouse, variant_significance
):
    conn = connect(statistics_warehouse.settings)
    with conn.cursor() as cur:
        cur.execute(
            "select experiment_id, srm_p_value, has_sample_ratio_mismatch "
            "from analytics.experiment_health"
        )
        health = {row[0]: row[1:] for row in cur.fetchall()}
        cur.execute(
            "select variant_id, allocation::float8, count(distinct unit_id) from exp.variants "
            "left join exp.assignments on assignments.variant_id = variants.id "
            "group by variants.id, variant_id, allocation, variants.experiment_id "
            "order by variants.experiment_id"
        )
    conn.close()
    assert health[SRM_EXPERIMENT_ID][1] is True
    assert health[SRM_EXPERIMENT_ID][0] < 1e-3
    for experiment_id, (p, flagged) in health.items():
        assert flagged == (p is not None and p < 0.001), experiment_id
    rows = [r for k, r in variant_significance.items() if k[0] == SRM_EXPERIMENT_ID]
    assert rows
    assert all(r["status"] == "srm" and r["is_significant"] is None for r in rows)


def test_experiment_health_matches_scipy(statistics_warehouse, raw):
    conn = connect(statistics_warehouse.settings)
    with conn.cursor() as cur:
        cur.execute(
            "select experiment_id, srm_chi_square, srm_p_value from analytics.experiment_health"
        )
        health = {row[0]: row[1:] for row in cur.fetchall()}
    conn.close()
    checked = 0
    for experiment_id, (chi_square, p) in health.items():
        arms = [
            (raw.assigned_units.get(v, 0), spec["allocation"])
            for v, spec in raw.variants.items()
            if spec["experiment_id"] == experiment_id and spec["allocation"] > 0
        ]
        observed = np.array([a[0] for a in arms], dtype=float)
        if observed.sum() == 0:
            assert p is None
            continue
        weights = np.array([a[1] for a in arms])
        result = stats.chisquare(observed, weights / weights.sum() * observed.sum())
        assert chi_square == pytest.approx(result.statistic, rel=1e-12)
        assert abs(p - result.pvalue) <= 1e-12
        checked += 1
    assert checked >= 5


def test_true_effects_are_detected(variant_significance):
    """Every large true effect (>= 2.5 half-widths of the deciding interval) is significant,
    with the right sign."""
    detected = 0
    for effect in TRUE_EFFECTS:
        key = (effect.experiment_id, effect.variant_id, "acceptance_rate")
        if effect.experiment_id == SRM_EXPERIMENT_ID or key not in variant_significance:
            continue  # verdicts withheld, or an experiment without traffic (draft)
        acceptance = variant_significance[
            (effect.experiment_id, effect.variant_id, "acceptance_rate")
        ]
        edits = variant_significance[
            (effect.experiment_id, effect.variant_id, "edits_per_generation")
        ]
        latency = variant_significance[(effect.experiment_id, effect.variant_id, "mean_latency_ms")]
        truths = [
            (acceptance, effect.acceptance_rate_diff),
            (edits, effect.edit_count_diff),
            (latency, latency["control_value"] * (effect.latency_ratio - 1)),
        ]
        for row, true_diff in truths:
            if row["status"] != "ok":
                continue
            # large against the interval that decides (the confidence sequence while sequential)
            half_width = (row["decision_ci_upper"] - row["decision_ci_lower"]) / 2
            if abs(true_diff) >= 2.5 * half_width:
                assert row["is_significant"], (effect, row)
                assert math.copysign(1, row["diff"]) == math.copysign(1, true_diff), (effect, row)
                detected += 1
    assert detected >= 3, "the demo data set should have several clearly detectable effects"


def test_card_full_window_equals_variant_significance(statistics_warehouse, variant_significance):
    """With no filter the card tests what variant_significance tests, from the same card tables
    with the same macros: every column it shows is the mart's."""
    card = rows_of(
        statistics_warehouse.settings,
        f"""select card.*, vs.experiment_id, vs.treatment_variant_id
        from ({card_query(statistics_warehouse)}) as card
        inner join analytics.variant_significance as vs
            using (experiment_name, treatment_variant_name, metric_name)""",
        COLUMNS,
    )
    assert len(card) == len(variant_significance)
    _, spec = card_by_key("variant_performance", "statistical_significance")
    card_columns = set(spec.columns) & set(COLUMNS)
    assert_same_table(
        {k: {c: r[c] for c in card_columns} for k, r in card.items()},
        {k: {c: r[c] for c in card_columns} for k, r in variant_significance.items()},
    )


def test_histogram_quantile_test_within_bound_of_exact_test(raw, variant_significance):
    """The latency quantile metrics come from the mergeable latency histogram (analyses/
    dashboards/README.md "The latency quantile test over any window"); against the exact test
    (percentile_cont and the exact order-statistic interval, recomputed from every generation):
    the ratio metrics are the same, each quantile within one bucket (gamma - 1 = 1.005 %), the
    interval within 10 % of the exact one's width."""
    exact = reference.significance(raw)
    assert set(exact) == set(variant_significance)
    # Holm and BH adjust within experiment x role, so the quantile p-values move the adjusted
    # p-values (and verdicts) of the other secondary metrics: those are left to the above
    adjusted = {"p_value_adjusted", "p_value_benjamini_hochberg", "is_significant", "verdict"}
    quantiles = set(reference.QUANTILES)
    assert_same_table(
        {
            k: {c: v for c, v in r.items() if c not in adjusted}
            for k, r in variant_significance.items()
            if k[2] not in quantiles
        },
        {
            k: {c: v for c, v in r.items() if c not in adjusted}
            for k, r in exact.items()
            if k[2] not in quantiles
        },
    )
    worst = {"value": 0.0, "standard_error": 0.0}
    compared = 0
    for key, row in exact.items():
        if key[2] not in quantiles or row["status"] != "ok":
            continue
        built = variant_significance[key]
        assert built["status"] == "ok", key
        for side in ("control_value", "treatment_value"):
            # within one bucket of the exact percentile_cont (gamma - 1 = 1.005 %)
            error = abs(built[side] / row[side] - 1)
            assert error <= 0.01006, (key, side, built[side], row[side])
            worst["value"] = max(worst["value"], error)
        # the decision interval's width is proportional to the standard error
        widths = [r["decision_ci_upper"] - r["decision_ci_lower"] for r in (built, row)]
        error = abs(widths[0] / widths[1] - 1)
        assert error <= 0.10, (key, widths)
        worst["standard_error"] = max(worst["standard_error"], error)
        compared += 1
    assert compared >= 6, "the demo data should have several quantile comparisons"
    assert worst["value"] > 0, "the histogram quantiles should differ from the exact ones"
    print(f"quantile metrics, histogram vs exact test: largest relative difference {worst}")


def card_by_key(dashboard: str, key: str):
    spec = parse_dashboard(PROJECT_DIR / "metabase" / "dashboards" / f"{dashboard}.yml")
    return spec, next(card for card in spec.cards if card.key == key)


def test_card_sub_window_equals_python_recomputation(statistics_warehouse, raw):
    window = (date(2026, 2, 10), date(2026, 2, 20))
    expected = reference.significance(raw, *window, histogram=True)
    card = rows_of(
        statistics_warehouse.settings,
        f"""select card.*, variants.id as treatment_variant_id, variants.experiment_id,
            control.id as control_variant_id
        from ({card_query(statistics_warehouse, dates=window)}) as card
        inner join exp.experiments on experiments.name = card.experiment_name
        inner join exp.variants on variants.experiment_id = experiments.id
            and variants.name = card.treatment_variant_name
        inner join exp.variants as control on control.experiment_id = experiments.id
            and control.name = card.control_variant_name""",
        COLUMNS,
    )
    # every column the card shows (its spec's list), plus the keys joined above
    _, spec = card_by_key("variant_performance", "statistical_significance")
    card_columns = (set(spec.columns) | {"control_variant_id"}) & set(COLUMNS)
    assert {"decision_basis", "p_value_decision", "variance_reduction", "verdict"} <= card_columns
    trimmed = {k: {c: v for c, v in r.items() if c in card_columns} for k, r in expected.items()}
    assert_same_table({k: {c: r[c] for c in card_columns} for k, r in card.items()}, trimmed)
    # the window really differs from the full history
    full = reference.significance(raw)
    assert any(full[k]["n_control_units"] != r["n_control_units"] for k, r in expected.items())

    # the experiment filter selects that experiment's rows, unchanged
    name = raw.experiment_names[1]
    one = rows_of(
        statistics_warehouse.settings,
        f"""select card.*, variants.id as treatment_variant_id, variants.experiment_id
        from ({card_query(statistics_warehouse, experiment=name, dates=window)}) as card
        inner join exp.variants on variants.name = card.treatment_variant_name
            and variants.experiment_id = 1""",
        ["p_value", "status", "diff"],
    )
    assert one and {k[0] for k in one} == {1}
    for key, row in one.items():
        assert row["p_value"] == pytest.approx(card[key]["p_value"], rel=1e-12)


def test_card_window_with_excluded_days_equals_python_recomputation(statistics_warehouse, raw):
    """A date filter that leaves days out of its span ("exclude"): units are counted per unit
    (window_gaps in macros/statistics/window_statistics.sql), the result is exact again."""
    window = (date(2026, 2, 10), date(2026, 2, 20))
    excluded = frozenset({date(2026, 2, 13), date(2026, 2, 14)})
    expected = reference.significance(raw, *window, excluded, histogram=True)
    card = rows_of(
        statistics_warehouse.settings,
        f"""select card.*, variants.id as treatment_variant_id, variants.experiment_id,
            control.id as control_variant_id
        from ({card_query(statistics_warehouse, dates=window, excluded=excluded)}) as card
        inner join exp.experiments on experiments.name = card.experiment_name
        inner join exp.variants on variants.experiment_id = experiments.id
            and variants.name = card.treatment_variant_name
        inner join exp.variants as control on control.experiment_id = experiments.id
            and control.name = card.control_variant_name""",
        COLUMNS,
    )
    _, spec = card_by_key("variant_performance", "statistical_significance")
    card_columns = (set(spec.columns) | {"control_variant_id"}) & set(COLUMNS)
    trimmed = {k: {c: v for c, v in r.items() if c in card_columns} for k, r in expected.items()}
    assert_same_table({k: {c: r[c] for c in card_columns} for k, r in card.items()}, trimmed)
    # the excluded days matter: a unit active on both sides of the gap counts once
    whole = reference.significance(raw, *window)
    assert any(whole[k]["n_control_units"] != r["n_control_units"] for k, r in expected.items())


def test_power_model_and_card_follow_their_formulas(statistics_warehouse, variant_significance):
    """experiment_power against variant_significance and scipy; the card (no filter) equals it."""
    settings = statistics_warehouse.settings
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute("select * from analytics.experiment_power")
        names = [d.name for d in cur.description]
        power = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        cur.execute("select id, status, target_relative_effect from exp.experiments")
        plans = {row[0]: row[1:] for row in cur.fetchall()}
        cur.execute(
            "select experiment_id, variant_id, min(metric_date), max(metric_date), "
            "count(distinct unit_id) from analytics.unit_daily_statistics group by 1, 2"
        )
        arms = {(row[0], row[1]): row[2:] for row in cur.fetchall()}
    conn.close()
    active = {e for e, (status, _) in plans.items() if status == "active"}
    primaries = {
        key: row
        for key, row in variant_significance.items()
        if row["metric_role"] == "primary" and key[0] in active
    }
    assert {(r["experiment_id"], r["treatment_variant_id"]) for r in power} == {
        key[:2] for key in primaries
    }
    assert power, "the demo has running experiments"
    multiplier = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    for row in power:
        significance = primaries[
            (row["experiment_id"], row["treatment_variant_id"], row["metric_name"])
        ]
        target = plans[row["experiment_id"]][1] or 0.05
        mde = multiplier * significance["standard_error"]
        assert row["mde_absolute"] == pytest.approx(mde, rel=1e-12)
        assert row["target_relative_effect"] == target
        units = significance["n_control_units"] + significance["n_treatment_units"]
        needed = units * (mde / (target * abs(significance["control_value"]))) ** 2
        assert row["units_needed"] == math.ceil(needed - 1e-9)
        experiment_days = [v for k, v in arms.items() if k[0] == row["experiment_id"]]
        days = (max(d[1] for d in experiment_days) - min(d[0] for d in experiment_days)).days + 1
        rate = units / days
        assert row["daily_unit_rate"] == pytest.approx(rate, rel=1e-12)
        expected_days = 0.0 if needed <= units else (needed - units) / rate
        assert row["days_to_decision"] == pytest.approx(expected_days, rel=1e-9, abs=1e-9)
        assert row["is_powered_for_target"] == (needed <= units)
    card_sql = (
        next(statistics_warehouse.target_path.rglob("*power_and_time_to_decision.sql"))
        .read_text()
        .replace("[[and {{experiment}}]]", "")
        .replace("[[and {{date_range}}]]", "")
    )
    card = rows_of(
        settings,
        f"""select card.*, power.experiment_id, power.treatment_variant_id
        from ({card_sql}) as card inner join analytics.experiment_power as power
            using (experiment_name, treatment_variant_name)""",
        ["mde_absolute", "days_to_decision", "units_needed", "metric_name"],
    )
    assert len(card) == len(power)
    for row in power:
        got = card[(row["experiment_id"], row["treatment_variant_id"], row["metric_name"])]
        # the card sums day-pair products (arm_day_pair_statistics), the model var_samp over
        # units: equal to rounding (the same tolerance as the significance card and its mart)
        assert got["mde_absolute"] == pytest.approx(row["mde_absolute"], rel=1e-9)
        assert got["units_needed"] == row["units_needed"]
