"""The user's specification (../shared/DASHBOARDS-SPEC.md, read-only: copied here by hand, never
read at run time): who each dashboard is for, and the column lists of its table cards.

Used by the static checks of the dashboard specs (tests/python/dashboards) and by the checks of
the cards and access a publish really produced (tests/python/metabase/test_e2e_publish.py).
"""

from __future__ import annotations

import json
from typing import Any

# §1.1 Audience and §5.1 User groups. "All" = every group we manage; "Data/ML team" and "ML
# team" = ML Team; ML Team has "All dashboards, can create"; Engineering has "Latency & Cost
# dashboard" (and Experiment Overview, whose audience is All); Product "Experiment Overview
# only". Admins are Metabase's built-in Administrators (everything, not managed by us).
SPEC_AUDIENCES: dict[str, frozenset[str]] = {
    "experiment_overview": frozenset({"ML Team", "Engineering", "Product"}),
    "variant_performance": frozenset({"ML Team"}),
    "offline_vs_online": frozenset({"ML Team"}),
    "model_quality": frozenset({"ML Team"}),
    "latency_and_cost": frozenset({"ML Team", "Engineering"}),
}
# "can edit" / "can create": curate the dashboards and write native SQL.
SPEC_EDITORS = frozenset({"ML Team"})
SPEC_GROUPS = frozenset({"ML Team", "Engineering", "Product"})

# §2: the table cards whose columns the spec lists, in the spec's order and words.
SPEC_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "experiment_overview.experiments_table": (
        "Name",
        "Status",
        "Start Date",
        "Variant Count",
        "Total Traffic",
    ),
    "variant_performance.variant_comparison": (
        "Variant",
        "Allocation",
        "Acceptance Rate",
        "Avg Edits",
        "Latency (p50)",
    ),
    "variant_performance.statistical_significance": (
        "Metric",
        "Control",
        "Treatment",
        "Diff",
        "P-value",
        "Significant?",
    ),
    "offline_vs_online.model_versions": ("Version", "Offline Score", "Online Acceptance", "Status"),
}

# Every table card exactly as it shows: each column's title, in order. The spec's columns keep
# its order and titles (a unit or qualifier may follow in parentheses); what a card adds is said
# in its description and in analyses/dashboards/README.md.
SHOWN_TABLE_TITLES: dict[str, tuple[str, ...]] = {
    "experiment_overview.experiments_table": (
        "Name",
        "Status",
        "Start Date",
        "Variant Count",
        "Total Traffic (units)",
        "Generations",
    ),
    "variant_performance.variant_comparison": (
        "Experiment",
        "Variant",
        "Allocation",
        "Acceptance Rate",
        "Avg Edits",
        "Latency (p50)",
        "Generations",
        "Is control",
    ),
    "variant_performance.statistical_significance": (
        "Experiment",
        "Treatment variant",
        "Metric",
        "Role",
        "Control",
        "Treatment",
        "Diff",
        "P-value (adjusted)",
        "Significant?",
        "Verdict",
        "Status",
        "Lift",
        "Interval low",
        "Interval high",
        "Basis",
        "Why this basis",
        "Raw p-value (deciding)",
        "Raw p-value (fixed horizon)",
        "Raw p-value (sequential)",
        "Family size",
        "Control variant",
        "Control units",
        "Treatment units",
        "CUPED variance reduction",
    ),
    "variant_performance.power_and_time_to_decision": (
        "Experiment",
        "Treatment variant",
        "Primary metric",
        "Basis",
        "Units so far",
        "Units per day",
        "Control value",
        "MDE (absolute)",
        "MDE (relative)",
        "Target effect",
        "Units needed",
        "Days to decision",
        "Powered?",
        "Verdict",
        "Status",
    ),
    "offline_vs_online.model_versions": (
        "Version",
        "Offline Score",
        "Online Acceptance",
        "Status",
        "Model",
        "Offline alignment",
        "Online generations",
        "Offline - online",
        "Created",
    ),
    "model_quality.version_comparison": (
        "Version",
        "Model",
        "Status",
        "Alignment (offline)",
        "Alignment (online)",
        "Constraints (offline)",
        "Constraints (online)",
        "Diversity (offline)",
        "Diversity (online)",
        "Predicted acceptance",
        "Online acceptance",
        "Online generations",
        "Created",
    ),
    "latency_and_cost.cost_by_model": (
        "Model",
        "Price",
        "Requests (7 days)",
        "Tokens (7 days)",
        "Cost (7 days)",
        "Cost (last day)",
    ),
    "latency_and_cost.latency_by_variant": (
        "Experiment",
        "Variant",
        "Generations",
        "Min (ms)",
        "p25 (ms)",
        "Median (ms)",
        "p75 (ms)",
        "p95 (ms)",
        "p99 (ms)",
        "Max (ms)",
    ),
    # Not in the spec: the quarantine of #14 (metabase/README.md "Alerts").
    "latency_and_cost.quarantined_events": (
        "Rule",
        "What is wrong",
        "Experiment",
        "Events",
        "Sample event ids",
        "Newest received (UTC)",
    ),
}

# In the significance table the arms' values are "Control" and "Treatment"; the variants' names
# say "variant"; "P-value" is the adjusted p the verdict is made on, beside "Significant?".
SIGNIFICANCE_COLUMNS = {
    "Control": "control_value",
    "Treatment": "treatment_value",
    "P-value (adjusted)": "p_value_adjusted",
    "Significant?": "is_significant",
    "Treatment variant": "treatment_variant_name",
    "Control variant": "control_variant_name",
}


def column_titles(columns: list[str], visualization_settings: dict[str, Any]) -> list[str | None]:
    """The title Metabase's table shows above each column, in the order it shows them: the
    `table.columns` order when set (enabled ones), else the query's; a column without a
    `column_title` gets None (Metabase would show its raw or humanized name)."""
    order = visualization_settings.get("table.columns")
    if order:
        columns = [item["name"] for item in order if item.get("enabled", True)]
    titles: dict[str, str] = {}
    for key, value in (visualization_settings.get("column_settings") or {}).items():
        ref = json.loads(key)
        if ref[0] == "name" and (value or {}).get("column_title"):
            titles[ref[1]] = value["column_title"]
    return [titles.get(column) for column in columns]


def spec_positions(spec_titles: tuple[str, ...], shown: list[str | None]) -> list[int]:
    """Where each of the spec's titles shows: the column titled exactly so, or so followed by a
    qualifier in parentheses ("Total Traffic (units)"); -1 when none is."""
    positions = []
    for title in spec_titles:
        found = [
            index
            for index, shown_title in enumerate(shown)
            if shown_title is not None
            and (shown_title == title or shown_title.startswith(f"{title} ("))
        ]
        assert len(found) <= 1, f"{title!r} names {len(found)} columns: ambiguous"
        positions.append(found[0] if found else -1)
    return positions
