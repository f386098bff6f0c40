"""An independent recomputation of the significance table in Python (numpy/scipy), from the RAW
exp tables: the reference the SQL models are compared with. It shares no code with the SQL.

Definitions (the contract of variant_significance): a generation is the earliest `generation`
event of a request, its outcome the earliest accepted/edited/rejected event of the request;
a unit's totals are summed over the generations whose UTC day lies in the window; ratio metrics
with the delta method; Welch via scipy.stats.ttest_ind_from_stats; Holm and BH per experiment.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date

import numpy as np
from scipy import stats

from experiment_analytics.warehouse import ConnectionSettings, connect

ALPHA = 0.05
SRM_THRESHOLD = 0.001
MINIMUM_UNITS = 30
SEQUENTIAL_TUNING_UNITS = 5000

# metric -> (numerator, denominator) names of the per-unit totals below
METRICS = {
    "acceptance_rate": ("accepted", "generations"),
    "edits_per_generation": ("edits", "generations"),
    "tokens_per_request": ("tokens", "token_measured"),
    "mean_latency_ms": ("latency", "latency_measured"),
    "constraint_respect": ("constraint_sum", "constraint_scored"),
    "alignment": ("alignment_sum", "alignment_scored"),
    "diversity": ("diversity_sum", "diversity_scored"),
}
TOTALS = sorted({name for pair in METRICS.values() for name in pair})


@dataclass(frozen=True)
class RawData:
    generations: list[dict]  # one per request, with its outcome
    variants: dict[int, dict]  # variant_id -> experiment_id, name, is_control, allocation
    experiment_names: dict[int, str]
    assigned_units: dict[int, int]  # variant_id -> distinct assigned units


def load_raw(settings: ConnectionSettings) -> RawData:
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute(
            "select id, event_type, experiment_id, variant_id, unit_id, request_id::text, "
            "occurred_at, latency_ms, prompt_tokens, completion_tokens, "
            "constraint_respect_score, alignment_score, diversity_score, edit_count "
            "from exp.events"
        )
        events = cur.fetchall()
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
        cur.execute("select id, name from exp.experiments")
        names = dict(cur.fetchall())
        cur.execute("select variant_id, count(distinct unit_id) from exp.assignments group by 1")
        assigned = dict(cur.fetchall())
    conn.close()

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
        generations.append(
            {
                "experiment_id": event[2],
                "variant_id": event[3],
                "unit_id": event[4],
                "date": event[6].astimezone(UTC).date(),
                "accepted": outcome_type in ("accepted", "edited"),
                "edits": (outcome[13] or 0) if outcome_type == "edited" else 0,
                "tokens": tokens,
                "latency": event[7],
                "constraint": event[10],
                "alignment": event[11],
                "diversity": event[12],
            }
        )
    return RawData(generations, variants, names, assigned)


def unit_totals(raw: RawData, start: date | None, end: date | None) -> dict[tuple, dict]:
    totals: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(TOTALS, 0.0))
    for g in raw.generations:
        if (start and g["date"] < start) or (end and g["date"] > end):
            continue
        unit = totals[(g["experiment_id"], g["variant_id"], g["unit_id"])]
        unit["generations"] += 1
        unit["accepted"] += g["accepted"]
        unit["edits"] += g["edits"]
        if g["tokens"] is not None:
            unit["tokens"] += g["tokens"]
            unit["token_measured"] += 1
        if g["latency"] is not None:
            unit["latency"] += g["latency"]
            unit["latency_measured"] += 1
        for score in ("constraint", "alignment", "diversity"):
            if g[score] is not None:
                unit[f"{score}_sum"] += g[score]
                unit[f"{score}_scored"] += 1
    return totals


def _arm(numerators: np.ndarray, denominators: np.ndarray) -> dict:
    n = len(numerators)
    value = numerators.sum() / denominators.sum() if denominators.sum() != 0 else None
    variance = None
    if n >= 2 and denominators.mean() > 0:
        mean_m, mean_d = numerators.mean(), denominators.mean()
        cov = np.cov(numerators, denominators, ddof=1)
        r = mean_m / mean_d
        variance = (cov[0, 0] - 2 * r * cov[0, 1] + r**2 * cov[1, 1]) / mean_d**2
        if variance <= 1e-9 * (cov[0, 0] + r**2 * cov[1, 1]) / mean_d**2:
            variance = 0.0
    return {"n": n, "value": value, "variance": variance, "denominator": denominators.sum()}


def holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    return adjusted


def significance(raw: RawData, start: date | None = None, end: date | None = None) -> dict:
    """{(experiment_id, treatment_variant_id, metric_name): row dict} like variant_significance."""
    totals = unit_totals(raw, start, end)
    by_variant: dict[int, list[dict]] = defaultdict(list)
    for (_, variant_id, _), unit in totals.items():
        by_variant[variant_id].append(unit)
    experiments = {raw.variants[v]["experiment_id"] for v in by_variant}

    srm: dict[int, float | None] = {}
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

    rows: dict[tuple, dict] = {}
    for experiment_id in experiments:
        variant_ids = [v for v in by_variant if raw.variants[v]["experiment_id"] == experiment_id]
        controls = [v for v in variant_ids if raw.variants[v]["is_control"]]
        if not controls:
            continue
        control_id = controls[0]
        for treatment_id in (v for v in variant_ids if v != control_id):
            for metric, (num, den) in METRICS.items():
                c = _arm(*_columns(by_variant[control_id], num, den))
                t = _arm(*_columns(by_variant[treatment_id], num, den))
                rows[(experiment_id, treatment_id, metric)] = _compare(
                    c, t, srm[experiment_id], raw, experiment_id, control_id, treatment_id, metric
                )
    _adjust(rows)
    return rows


def _columns(units: list[dict], numerator: str, denominator: str):
    return (
        np.array([u[numerator] for u in units], dtype=float),
        np.array([u[denominator] for u in units], dtype=float),
    )


def _compare(c, t, srm_p, raw, experiment_id, control_id, treatment_id, metric) -> dict:
    row = {
        "experiment_name": raw.experiment_names[experiment_id],
        "control_variant_id": control_id,
        "control_variant_name": raw.variants[control_id]["name"],
        "treatment_variant_name": raw.variants[treatment_id]["name"],
        "n_control_units": c["n"],
        "n_treatment_units": t["n"],
        "control_value": c["value"],
        "treatment_value": t["value"],
        "srm_p_value": srm_p,
    }
    diff = None if c["value"] is None or t["value"] is None else t["value"] - c["value"]
    row["diff"] = diff
    row["relative_lift"] = diff / abs(c["value"]) if diff is not None and c["value"] != 0 else None
    p = lower = upper = sequential = None
    if c["variance"] is not None and t["variance"] is not None and diff is not None:
        vt, vc = t["variance"] / t["n"], c["variance"] / c["n"]
        if vt + vc > 0:
            se = math.sqrt(vt + vc)
            test = stats.ttest_ind_from_stats(
                t["value"],
                math.sqrt(t["variance"]),
                t["n"],
                c["value"],
                math.sqrt(c["variance"]),
                c["n"],
                equal_var=False,
            )
            p = float(test.pvalue)
            df = (vt + vc) ** 2 / (vt**2 / (t["n"] - 1) + vc**2 / (c["n"] - 1))
            half = stats.t.ppf(0.975, df) * se
            lower, upper = diff - half, diff + half
            n = t["n"] + c["n"]
            rho2 = (
                -2 * math.log(ALPHA) + math.log(1 - 2 * math.log(ALPHA))
            ) / SEQUENTIAL_TUNING_UNITS
            sequential = min(
                1.0,
                math.sqrt(1 + n * rho2)
                * math.exp(-(n * rho2 / (1 + n * rho2)) * (diff / se) ** 2 / 2),
            )
    row.update(p_value=p, ci_lower=lower, ci_upper=upper, p_value_sequential=sequential)
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
    families: dict[int, list[tuple]] = defaultdict(list)
    for key, row in rows.items():
        row["p_value_adjusted"] = row["p_value_benjamini_hochberg"] = None
        if row["p_value"] is not None:
            families[key[0]].append(key)
    for keys in families.values():
        p = np.array([rows[k]["p_value"] for k in keys])
        for key, h, b in zip(
            keys, holm(p), stats.false_discovery_control(p, method="bh"), strict=True
        ):
            rows[key]["p_value_adjusted"] = float(h)
            rows[key]["p_value_benjamini_hochberg"] = float(b)
    for row in rows.values():
        row["is_significant"] = row["p_value_adjusted"] < ALPHA if row["status"] == "ok" else None
