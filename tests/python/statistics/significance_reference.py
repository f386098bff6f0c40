"""An independent recomputation of the significance table in Python (numpy/scipy), from the RAW
exp tables: the reference the SQL models are compared with. It shares no code with the SQL.

Definitions (the contract of variant_significance, models/marts/statistics/_statistics__models.yml):
a generation is the earliest `generation` event of a request, its outcome the earliest
accepted/edited/rejected event of the request; a unit's totals are summed over the generations
whose UTC day lies in the window; ratio metrics with the delta method, CUPED on the unit's
pre-period (exp.unit_daily_activity, 14 days before the day of its first assignment); latency
quantiles with the order-statistic interval over units; Welch via scipy.stats.ttest_ind_from_stats;
the decision basis from the experiment's plan; roles, Holm and BH per experiment x role;
guardrails as one-sided non-inferiority tests.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path

import numpy as np
from scipy import stats

from experiment_analytics.warehouse import ConnectionSettings, connect

ALPHA = 0.05
SRM_THRESHOLD = 0.001
MINIMUM_UNITS = 30
SEQUENTIAL_TUNING_UNITS = 5000
PRE_PERIOD_DAYS = 14
Z = stats.norm.ppf(1 - ALPHA / 2)
PRICES_CSV = Path(__file__).resolve().parents[3] / "seeds" / "model_token_prices.csv"

# metric -> (numerator, denominator) names of the per-unit totals below
METRICS = {
    "acceptance_rate": ("accepted", "generations"),
    "edits_per_generation": ("edits", "generations"),
    "tokens_per_request": ("tokens", "token_measured"),
    "mean_latency_ms": ("latency", "latency_measured"),
    "constraint_respect": ("constraint_sum", "constraint_scored"),
    "alignment": ("alignment_sum", "alignment_scored"),
    "diversity": ("diversity_sum", "diversity_scored"),
    "cost_per_request": ("cost", "cost_priced"),
}
TOTALS = sorted({name for pair in METRICS.values() for name in pair})
# the pre-period columns of exp.unit_daily_activity for each total (cost has none)
PRE_COLUMNS = {
    "accepted": "accepted_count",
    "generations": "generation_count",
    "edits": "edit_count",
    "tokens": "total_tokens",
    "token_measured": "token_measured_count",
    "latency": "latency_ms_sum",
    "latency_measured": "latency_measured_count",
    "constraint_sum": "constraint_respect_score_sum",
    "constraint_scored": "constraint_respect_scored_count",
    "alignment_sum": "alignment_score_sum",
    "alignment_scored": "alignment_scored_count",
    "diversity_sum": "diversity_score_sum",
    "diversity_scored": "diversity_scored_count",
}
QUANTILES = {"latency_p50": 0.5, "latency_p95": 0.95, "latency_p99": 0.99}
ALIASES = {
    "edit_count": "edits_per_generation",
    "latency_ms": "mean_latency_ms",
    "constraint_respect_score": "constraint_respect",
    "alignment_score": "alignment",
    "diversity_score": "diversity",
}
# metric -> (worse direction: +1 when an increase is worse, relative margin)
GUARDRAILS = {
    "latency_p99": (1.0, 0.05),
    "constraint_respect": (-1.0, 0.01),
    "cost_per_request": (1.0, 0.05),
}


@dataclass(frozen=True)
class RawData:
    generations: list[dict]  # one per request, with its outcome
    variants: dict[int, dict]  # variant_id -> experiment_id, name, is_control, allocation
    experiments: dict[int, dict]  # experiment_id -> name, primary metric, plan
    assigned_units: dict[int, int]  # variant_id -> distinct assigned units
    pre_period: dict[tuple, dict]  # (experiment_id, unit_id) -> pre-period totals

    @property
    def experiment_names(self) -> dict[int, str]:
        return {k: v["name"] for k, v in self.experiments.items()}


def load_raw(settings: ConnectionSettings) -> RawData:
    prices = {
        row["model_name"]: (
            float(row["usd_per_million_prompt_tokens"]),
            float(row["usd_per_million_completion_tokens"]),
        )
        for row in csv.DictReader(PRICES_CSV.open())
    }
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "select id, event_type, experiment_id, variant_id, unit_id, request_id::text, "
            "occurred_at, latency_ms, prompt_tokens, completion_tokens, "
            "constraint_respect_score, alignment_score, diversity_score, edit_count, "
            "policy_version_id from exp.events"
        )
        events = cur.fetchall()
        cur.execute("select id, model_name from exp.policy_versions")
        models = dict(cur.fetchall())
        cur.execute(
            "select id, experiment_id, name, is_control, allocation::float8 from exp.variants"
        )
        variants = {
            row[0]: {
                "experiment_id": row[1],
                "name": row[2],
                "is_control": row[3],
                "allocation": row[4],
            }
            for row in cur.fetchall()
        }
        cur.execute(
            "select id, name, primary_metric, planned_end_at, planned_unit_count "
            "from exp.experiments"
        )
        experiments = {
            row[0]: {
                "name": row[1],
                "primary_metric": row[2],
                "planned_end_date": row[3].astimezone(UTC).date() if row[3] else None,
                "planned_unit_count": row[4],
            }
            for row in cur.fetchall()
        }
        cur.execute("select variant_id, count(distinct unit_id) from exp.assignments group by 1")
        assigned = dict(cur.fetchall())
        cur.execute(
            "select experiment_id, unit_id, min(assigned_at) from exp.assignments group by 1, 2"
        )
        first_assignments = cur.fetchall()
        columns = sorted(set(PRE_COLUMNS.values()))
        cur.execute(
            f"select unit_id, activity_date, {', '.join(columns)} from exp.unit_daily_activity"
        )
        activity: dict[str, list[tuple]] = defaultdict(list)
        for row in cur.fetchall():
            activity[row[0]].append((row[1], dict(zip(columns, row[2:], strict=True))))
    conn.close()

    pre_period: dict[tuple, dict] = {}
    for experiment_id, unit_id, assigned_at in first_assignments:
        assigned_date = assigned_at.astimezone(UTC).date()
        totals = dict.fromkeys(PRE_COLUMNS, 0.0)
        for day, values in activity.get(unit_id, []):
            if assigned_date - timedelta(days=PRE_PERIOD_DAYS) <= day < assigned_date:
                for name, column in PRE_COLUMNS.items():
                    totals[name] += float(values[column])
        pre_period[(experiment_id, unit_id)] = totals

    first_generation: dict[str, tuple] = {}
    first_outcome: dict[str, tuple] = {}
    for event in events:
        key = (event[6], event[0])
        target = first_generation if event[1] == "generation" else first_outcome
        if event[5] not in target or key < (target[event[5]][6], target[event[5]][0]):
            target[event[5]] = event
    generations = []
    for request_id, event in first_generation.items():
        outcome = first_outcome.get(request_id)
        outcome_type = outcome[1] if outcome else None
        tokens = None if event[8] is None or event[9] is None else event[8] + event[9]
        price = prices.get(models.get(event[14]))
        cost = (
            None
            if tokens is None or price is None
            else (event[8] * price[0] + event[9] * price[1]) / 1e6
        )
        generations.append(
            {
                "experiment_id": event[2],
                "variant_id": event[3],
                "unit_id": event[4],
                "date": event[6].astimezone(UTC).date(),
                "accepted": outcome_type in ("accepted", "edited"),
                "edits": (outcome[13] or 0) if outcome_type == "edited" else 0,
                "tokens": tokens,
                "cost": cost,
                "latency": event[7],
                "constraint": event[10],
                "alignment": event[11],
                "diversity": event[12],
            }
        )
    return RawData(generations, variants, experiments, assigned, pre_period)


def _in_window(
    g: dict, start: date | None, end: date | None, excluded: frozenset[date] = frozenset()
) -> bool:
    return not ((start and g["date"] < start) or (end and g["date"] > end)) and (
        g["date"] not in excluded
    )


def unit_totals(
    raw: RawData,
    start: date | None,
    end: date | None,
    excluded: frozenset[date] = frozenset(),
) -> dict[tuple, dict]:
    totals: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys([*TOTALS, "last_date"], 0.0))
    for g in raw.generations:
        if not _in_window(g, start, end, excluded):
            continue
        unit = totals[(g["experiment_id"], g["variant_id"], g["unit_id"])]
        unit["last_date"] = max(unit["last_date"] or g["date"], g["date"])
        unit["generations"] += 1
        unit["accepted"] += g["accepted"]
        unit["edits"] += g["edits"]
        if g["tokens"] is not None:
            unit["tokens"] += g["tokens"]
            unit["token_measured"] += 1
        if g["cost"] is not None:
            unit["cost"] += g["cost"]
            unit["cost_priced"] += 1
        if g["latency"] is not None:
            unit["latency"] += g["latency"]
            unit["latency_measured"] += 1
        for score in ("constraint", "alignment", "diversity"):
            if g[score] is not None:
                unit[f"{score}_sum"] += g[score]
                unit[f"{score}_scored"] += 1
    return totals


def _ratio_arm(units: list[dict], pre: list[dict], numerator: str, denominator: str) -> dict:
    m = np.array([u[numerator] for u in units], dtype=float)
    d = np.array([u[denominator] for u in units], dtype=float)
    n = len(m)
    value = m.sum() / d.sum() if d.sum() != 0 else None
    arm = {"n": n, "value": value, "variance": None, "denominator": d.sum(), "t": True}
    arm.update(covariate=None, covariate_variance=None, covariance=None)
    if n >= 2 and d.mean() > 0:
        r = m.mean() / d.mean()
        y = (m - r * d) / d.mean()
        variance = float(np.var(y, ddof=1))
        cov = np.cov(m, d, ddof=1)
        if variance <= 1e-9 * (cov[0, 0] + r**2 * cov[1, 1]) / d.mean() ** 2:
            variance = 0.0
        arm["variance"] = variance
        if numerator in PRE_COLUMNS and denominator in PRE_COLUMNS:
            x = np.array([p[numerator] for p in pre], dtype=float)
            w = np.array([p[denominator] for p in pre], dtype=float)
            if w.mean() > 0:
                rx = x.mean() / w.mean()
                z = (x - rx * w) / w.mean()
                arm.update(
                    covariate=rx,
                    covariate_variance=float(np.var(z, ddof=1)),
                    covariance=float(np.cov(y, z, ddof=1)[0, 1]),
                )
    return arm


def _quantile_arm(latencies: np.ndarray, units: np.ndarray, level: float) -> dict:
    order = np.argsort(latencies, kind="stable")
    x, u = latencies[order], units[order]
    value = float(np.quantile(x, level, method="linear"))
    _, inverse = np.unique(u, return_inverse=True)
    below = np.bincount(inverse, weights=(x <= value).astype(float))
    counts = np.bincount(inverse).astype(float)
    return _quantile_interval(below, counts, value, level, lambda rank: x[rank - 1])


def _quantile_interval(
    below: np.ndarray,
    counts: np.ndarray,
    value: float,
    level: float,
    order_statistic: Callable[[int], float],
) -> dict:
    """Deng et al.'s interval from each unit's latencies at or below the quantile (`below`) and
    its latencies (`counts`): the delta-method sigma of the share, then the order statistics at
    the ranks N (level -+ z sigma), `order_statistic(rank)` (1-based)."""
    n, total = len(counts), int(counts.sum())
    r = below.mean() / counts.mean()
    sigma = math.sqrt(np.var((below - r * counts) / counts.mean(), ddof=1) / n)
    lower = max(1, math.floor(total * (level - Z * sigma)))
    upper = min(total, math.ceil(total * (level + Z * sigma)))
    se = (order_statistic(upper) - order_statistic(lower)) / (2 * Z)
    return {
        "n": n,
        "value": value,
        "variance": se**2 * n,
        "denominator": float(total),
        "t": False,
        "covariate": None,
        "covariate_variance": None,
        "covariance": None,
    }


# The latency histogram grid of macros/statistics/latency_histograms.sql (default accuracy 0.005).
HISTOGRAM_GAMMA = (1.0 + 0.005) / (1.0 - 0.005)


def latency_bucket(latency: float) -> int:
    return math.floor(math.log(latency) / math.log(HISTOGRAM_GAMMA)) if latency > 0 else -1000000


def _histogram_quantile_arm(
    latencies: np.ndarray, units: np.ndarray, level: float, unit_ids: list
) -> dict:
    """The quantile test from the latency histogram (analyses/dashboards/README.md "The latency
    quantile test over any window"): order statistics interpolated inside their bucket, the
    indicator at the upper edge of the quantile's bucket; over the arm's units
    `unit_ids` (a unit without a latency counts with 0 of 0)."""
    buckets = np.array([latency_bucket(x) for x in latencies], dtype=np.int64)
    total = len(latencies)
    grid = sorted(set(buckets.tolist()))
    counts = {b: int((buckets == b).sum()) for b in grid}
    lows = {b: float(latencies[buckets == b].min()) for b in grid}
    highs = {b: float(latencies[buckets == b].max()) for b in grid}
    through, running = {}, 0
    for b in grid:
        running += counts[b]
        through[b] = running

    def holding(rank: float) -> int:
        return next(b for b in grid if through[b] - counts[b] < rank <= through[b])

    def interpolated(rank: float) -> float:
        b = holding(rank)
        if counts[b] == 1:
            return lows[b]
        return lows[b] + (rank - (through[b] - counts[b]) - 1.0) / (counts[b] - 1.0) * (
            highs[b] - lows[b]
        )

    h = 1.0 + (total - 1) * level
    low_rank, high_rank = math.floor(h), min(math.floor(h) + 1, total)
    value = interpolated(low_rank) + (h - low_rank) * (
        interpolated(high_rank) - interpolated(low_rank)
    )
    threshold = latency_bucket(value)
    index = {u: i for i, u in enumerate(unit_ids)}
    below = np.zeros(len(unit_ids))
    measured = np.zeros(len(unit_ids))
    for unit, bucket in zip(units, buckets, strict=True):
        measured[index[unit]] += 1
        below[index[unit]] += bucket <= threshold
    return _quantile_interval(below, measured, value, level, interpolated)


def holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    return adjusted


def sequential_p(z: float, n: int) -> float:
    rho2 = (-2 * math.log(ALPHA) + math.log(1 - 2 * math.log(ALPHA))) / SEQUENTIAL_TUNING_UNITS
    return min(1.0, math.sqrt(1 + n * rho2) * math.exp(-(n * rho2 / (1 + n * rho2)) * z**2 / 2))


def confidence_sequence_half_width(variance: float, n: int) -> float:
    rho2 = (-2 * math.log(ALPHA) + math.log(1 - 2 * math.log(ALPHA))) / SEQUENTIAL_TUNING_UNITS
    return math.sqrt(n * variance) * math.sqrt(
        2 * (n * rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n * rho2 + 1) / ALPHA)
    )


def significance(
    raw: RawData,
    start: date | None = None,
    end: date | None = None,
    excluded: frozenset[date] = frozenset(),
    *,
    histogram: bool = False,
) -> dict:
    """{(experiment_id, treatment_variant_id, metric_name): row dict} like variant_significance,
    over the days from start to end but the excluded ones; histogram: the latency quantile test
    from the latency histogram, as the Statistical Significance card computes it."""
    totals = unit_totals(raw, start, end, excluded)
    by_variant: dict[int, list[tuple]] = defaultdict(list)
    for (experiment_id, variant_id, unit_id), unit in totals.items():
        pre = raw.pre_period.get((experiment_id, unit_id), dict.fromkeys(PRE_COLUMNS, 0.0))
        by_variant[variant_id].append((unit, pre))
    latencies: dict[int, list[tuple]] = defaultdict(list)
    for g in raw.generations:
        if _in_window(g, start, end, excluded) and g["latency"] is not None:
            latencies[g["variant_id"]].append((g["latency"], g["unit_id"]))
    experiments = {raw.variants[v]["experiment_id"] for v in by_variant}

    srm: dict[int, float | None] = {}
    basis: dict[int, tuple[str, str]] = {}
    for experiment_id in experiments:
        arms = [
            (len(by_variant.get(v, [])), spec["allocation"])
            for v, spec in raw.variants.items()
            if spec["experiment_id"] == experiment_id and spec["allocation"] > 0
        ]
        observed = np.array([a[0] for a in arms], dtype=float)
        weights = np.array([a[1] for a in arms])
        srm[experiment_id] = (
            stats.chisquare(observed, weights / weights.sum() * observed.sum()).pvalue
            if len(arms) >= 2
            else None
        )
        keys = [k for k in totals if k[0] == experiment_id]
        last_date = max(totals[k]["last_date"] for k in keys)
        unit_count = len({k[2] for k in keys})
        plan = raw.experiments[experiment_id]
        if plan["planned_end_date"] and last_date >= plan["planned_end_date"]:
            basis[experiment_id] = ("fixed_horizon", "planned_end_reached")
        elif plan["planned_unit_count"] and unit_count >= plan["planned_unit_count"]:
            basis[experiment_id] = ("fixed_horizon", "planned_units_reached")
        elif plan["planned_end_date"] or plan["planned_unit_count"]:
            basis[experiment_id] = ("sequential", "before_planned_end")
        else:
            basis[experiment_id] = ("sequential", "no_plan")

    rows: dict[tuple, dict] = {}
    for experiment_id in experiments:
        variant_ids = [v for v in by_variant if raw.variants[v]["experiment_id"] == experiment_id]
        controls = [v for v in variant_ids if raw.variants[v]["is_control"]]
        if not controls:
            continue
        control_id = controls[0]
        primary = raw.experiments[experiment_id]["primary_metric"]
        primary = ALIASES.get(primary, primary)
        for treatment_id in (v for v in variant_ids if v != control_id):
            arms: dict[str, tuple[dict, dict]] = {}
            for metric, (num, den) in METRICS.items():
                c_units, c_pre = zip(*by_variant[control_id], strict=True)
                t_units, t_pre = zip(*by_variant[treatment_id], strict=True)
                arms[metric] = (
                    _ratio_arm(list(c_units), list(c_pre), num, den),
                    _ratio_arm(list(t_units), list(t_pre), num, den),
                )
            for metric, level in QUANTILES.items():
                pair = []
                for variant_id in (control_id, treatment_id):
                    values = latencies[variant_id]
                    observations = (
                        np.array([v[0] for v in values], dtype=float),
                        np.array([v[1] for v in values]),
                    )
                    pair.append(
                        _histogram_quantile_arm(
                            *observations, level, [k[2] for k in totals if k[1] == variant_id]
                        )
                        if histogram
                        else _quantile_arm(*observations, level)
                    )
                arms[metric] = (pair[0], pair[1])
            for metric, (c, t) in arms.items():
                role = (
                    "primary"
                    if metric == primary
                    else "guardrail"
                    if metric in GUARDRAILS
                    else "secondary"
                )
                rows[(experiment_id, treatment_id, metric)] = _compare(
                    c,
                    t,
                    srm[experiment_id],
                    raw,
                    (experiment_id, control_id, treatment_id, metric, role),
                    basis[experiment_id],
                )
    _adjust(rows)
    return rows


def _compare(c, t, srm_p, raw, keys, basis) -> dict:
    experiment_id, control_id, treatment_id, metric, role = keys
    row = {
        "experiment_name": raw.experiment_names[experiment_id],
        "metric_role": role,
        "control_variant_id": control_id,
        "control_variant_name": raw.variants[control_id]["name"],
        "treatment_variant_name": raw.variants[treatment_id]["name"],
        "n_control_units": c["n"],
        "n_treatment_units": t["n"],
        "control_value": c["value"],
        "treatment_value": t["value"],
        "srm_p_value": srm_p,
        "decision_basis": basis[0],
        "decision_basis_reason": basis[1],
    }
    row.update(
        dict.fromkeys(
            [
                "diff",
                "diff_unadjusted",
                "relative_lift",
                "standard_error",
                "standard_error_unadjusted",
                "cuped_theta",
                "variance_reduction",
                "degrees_of_freedom",
                "p_value",
                "ci_lower",
                "ci_upper",
                "p_value_sequential",
                "ci_lower_sequential",
                "ci_upper_sequential",
                "non_inferiority_margin",
                "p_value_non_inferiority",
                "p_value_non_inferiority_sequential",
                "p_value_breach",
            ]
        )
    )
    if c["value"] is not None and t["value"] is not None:
        row["diff_unadjusted"] = row["diff"] = t["value"] - c["value"]
    if c["variance"] is not None and t["variance"] is not None and row["diff"] is not None:
        vt, vc = t["variance"] / t["n"], c["variance"] / c["n"]
        row["standard_error_unadjusted"] = math.sqrt(vt + vc)
        mean_t, mean_c = t["value"], c["value"]
        if (
            t["covariate_variance"] is not None
            and c["covariate_variance"] is not None
            and t["variance"] > 0
            and c["variance"] > 0
            and t["covariate_variance"] / t["n"] + c["covariate_variance"] / c["n"] > 0
        ):
            theta = (t["covariance"] / t["n"] + c["covariance"] / c["n"]) / (
                t["covariate_variance"] / t["n"] + c["covariate_variance"] / c["n"]
            )
            row["cuped_theta"] = theta
            mean_t -= theta * t["covariate"]
            mean_c -= theta * c["covariate"]
            row["diff"] -= theta * (t["covariate"] - c["covariate"])
            vt = max(
                0.0,
                (t["variance"] - 2 * theta * t["covariance"] + theta**2 * t["covariate_variance"])
                / t["n"],
            )
            vc = max(
                0.0,
                (c["variance"] - 2 * theta * c["covariance"] + theta**2 * c["covariate_variance"])
                / c["n"],
            )
        diff = row["diff"]
        se = math.sqrt(vt + vc)
        row["standard_error"] = se
        if row["cuped_theta"] is not None and row["standard_error_unadjusted"] > 0:
            row["variance_reduction"] = 1 - se**2 / row["standard_error_unadjusted"] ** 2
        n = t["n"] + c["n"]
        if se > 0:
            if t["t"]:
                df = (vt + vc) ** 2 / (vt**2 / (t["n"] - 1) + vc**2 / (c["n"] - 1))
                row["degrees_of_freedom"] = df
                test = stats.ttest_ind_from_stats(
                    mean_t,
                    math.sqrt(vt * t["n"]),
                    t["n"],
                    mean_c,
                    math.sqrt(vc * c["n"]),
                    c["n"],
                    equal_var=False,
                )
                row["p_value"] = float(test.pvalue)
                half = stats.t.ppf(1 - ALPHA / 2, df) * se
                distribution = stats.t(df)
            else:
                row["p_value"] = float(2 * stats.norm.sf(abs(diff / se)))
                half = Z * se
                distribution = stats.norm()
            row["ci_lower"], row["ci_upper"] = diff - half, diff + half
            row["p_value_sequential"] = sequential_p(diff / se, n)
            sequence = confidence_sequence_half_width(se**2, n)
            row["ci_lower_sequential"] = diff - sequence
            row["ci_upper_sequential"] = diff + sequence
            if role == "guardrail":
                worse, margin = GUARDRAILS[metric]
                row["non_inferiority_margin"] = margin
                z = (margin * abs(c["value"]) - worse * diff) / se
                row["p_value_non_inferiority"] = float(distribution.sf(z))
                row["p_value_non_inferiority_sequential"] = sequential_p(z, n) if z > 0 else 1.0
                row["p_value_breach"] = (
                    float(distribution.sf(-z))
                    if basis[0] == "fixed_horizon"
                    else (sequential_p(-z, n) if -z > 0 else 1.0)
                )
    if row["diff"] is not None and c["value"] != 0:
        row["relative_lift"] = row["diff"] / abs(c["value"])
    if role == "guardrail":
        row["p_value_decision"] = row[
            "p_value_non_inferiority"
            if basis[0] == "fixed_horizon"
            else "p_value_non_inferiority_sequential"
        ]
    else:
        row["p_value_decision"] = row[
            "p_value" if basis[0] == "fixed_horizon" else "p_value_sequential"
        ]
    if basis[0] == "fixed_horizon":
        row["decision_ci_lower"], row["decision_ci_upper"] = row["ci_lower"], row["ci_upper"]
    else:
        row["decision_ci_lower"] = row["ci_lower_sequential"]
        row["decision_ci_upper"] = row["ci_upper_sequential"]
    if srm_p is not None and srm_p < SRM_THRESHOLD:
        status = "srm"
    elif min(c["n"], t["n"]) < MINIMUM_UNITS:
        status = "too_few_units"
    elif c["denominator"] == 0 or t["denominator"] == 0:
        status = "no_data"
    elif c["variance"] == 0 or t["variance"] == 0:
        status = "zero_variance"
    elif c["value"] == 0:
        status = "control_mean_zero"
    else:
        status = "ok"
    row["status"] = status
    return row


def _adjust(rows: dict[tuple, dict]) -> None:
    families: dict[tuple, list[tuple]] = defaultdict(list)
    for key, row in rows.items():
        row["p_value_adjusted"] = row["p_value_benjamini_hochberg"] = row["family_size"] = None
        if row["p_value_decision"] is not None:
            families[(key[0], row["metric_role"])].append(key)
    for (_, role), keys in families.items():
        p = np.array([rows[k]["p_value_decision"] for k in keys])
        if role == "guardrail":
            holm_p = bh_p = p
        else:
            holm_p, bh_p = holm(p), stats.false_discovery_control(p, method="bh")
        for key, h, b in zip(keys, holm_p, bh_p, strict=True):
            rows[key]["p_value_adjusted"] = float(h)
            rows[key]["p_value_benjamini_hochberg"] = float(b)
            rows[key]["family_size"] = len(keys)
    for row in rows.values():
        ok = row["status"] == "ok"
        significant = ok and row["p_value_adjusted"] < ALPHA
        row["is_significant"] = significant if ok else None
        if not ok:
            row["verdict"] = None
        elif row["metric_role"] == "guardrail":
            row["verdict"] = (
                "non_inferior"
                if significant
                else "breached"
                if row["p_value_breach"] < ALPHA
                else "inconclusive"
            )
        else:
            row["verdict"] = (
                ("increase" if row["diff"] > 0 else "decrease")
                if significant
                else "not_significant"
            )
