"""Static checks of the dashboard content: specs, layout, filters, card SQL files, publisher.yml.

No database needed: these read the YAML and SQL files only.
"""

from __future__ import annotations

import re
from itertools import combinations

import pytest
import yaml

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase.spec import GRID_COLUMNS

from .content import (
    ANALYSES_DIR,
    DASHBOARD_DIR,
    FOREIGN_CARD_QUERIES,
    all_cards,
    analysis_file,
    card_by_key,
    dashboard_specs,
    publisher_config,
)
from .spec_expectations import (
    SHOWN_TABLE_TITLES,
    SIGNIFICANCE_COLUMNS,
    SPEC_AUDIENCES,
    SPEC_EDITORS,
    SPEC_TABLE_COLUMNS,
    column_titles,
    spec_positions,
)

EXPOSURES_FILE = PROJECT_DIR / "models" / "marts" / "_exposures.yml"
EXPOSURE_NAMES = {
    "experiment_overview",
    "variant_performance",
    "offline_vs_online",
    "model_quality",
    "latency_and_cost",
}
SCHEMA_QUALIFIED = re.compile(r"\b(exp|analytics|public)\.[a-z_]+", re.IGNORECASE)
# Cards whose window is relative to now(): on old data they are legitimately empty.
SPECS = {spec.dashboard: spec for spec in dashboard_specs()}


def dashboard_exposures() -> dict[str, dict]:
    data = yaml.safe_load(EXPOSURES_FILE.read_text())
    return {item["name"]: item for item in data["exposures"] if item["type"] == "dashboard"}


def test_the_five_dashboards_have_a_spec_each():
    assert set(SPECS) == EXPOSURE_NAMES
    for path in DASHBOARD_DIR.glob("*.yml"):
        assert SPECS[path.stem].dashboard == path.stem, f"{path}: `dashboard` must be the file name"


def test_every_exposure_names_its_spec_and_every_spec_has_an_exposure():
    exposures = dashboard_exposures()
    assert set(exposures) == set(SPECS)
    for name, exposure in exposures.items():
        spec_path = exposure["meta"]["metabase"]["spec"]
        assert PROJECT_DIR / spec_path == SPECS[name].path, name


@pytest.mark.parametrize("dashboard", sorted(EXPOSURE_NAMES))
def test_layout_fits_the_grid_without_overlaps(dashboard):
    cards = SPECS[dashboard].cards
    for card in cards:
        position = card.position
        assert position.row >= 0 and position.col >= 0, card.key
        assert position.size_x >= 1 and position.size_y >= 1, card.key
        assert position.col + position.size_x <= GRID_COLUMNS, f"{card.key} is off the grid"
    for first, second in combinations(cards, 2):
        assert not first.position.overlaps(second.position), f"{first.key} overlaps {second.key}"


def test_the_required_cards_are_there_with_their_chart_types():
    required = {
        "experiment_overview": {
            "active_experiment_count": "scalar",
            "experiments_table": "table",
            "assignments_by_experiment": "bar",
            "events_last_7_days": "line",
        },
        "variant_performance": {
            "variant_comparison": "table",
            "acceptance_rate_over_time": "line",
            "edit_count_distribution": "bar",
            "latency_percentiles_over_time": "line",
            "statistical_significance": "table",
        },
        "offline_vs_online": {
            "model_versions": "table",
            "offline_vs_online_correlation": "scatter",
            "prediction_accuracy": "line",
        },
        "model_quality": {
            "quality_metrics_trend": "line",
            "constraint_violations_last_24_hours": "scalar",
            "version_comparison": "table",
        },
        "latency_and_cost": {
            "latency_over_time": "line",
            "tokens_per_request": "line",
            "cost_last_day": "scalar",
            "cost_last_7_days": "scalar",
            "latency_by_variant": "table",
        },
    }
    for dashboard, cards in required.items():
        displays = {card.key: card.display for card in SPECS[dashboard].cards}
        for key, display in cards.items():
            assert displays.get(key) == display, f"{dashboard}.{key}"


@pytest.mark.parametrize(("dashboard", "key"), all_cards())
def test_card_has_description_unique_key_and_its_sql_file(dashboard, key):
    spec, card = card_by_key(dashboard, key)
    assert spec.description.strip(), dashboard
    assert len(card.description.strip()) > 20, f"{dashboard}.{key} needs a description"
    assert [c.key for c in spec.cards].count(key) == 1
    path = analysis_file(card.query)
    if card.query not in FOREIGN_CARD_QUERIES:
        assert path.parent == ANALYSES_DIR / "dashboards" / dashboard
        assert card.query == f"{dashboard}__{key}", "file names are <dashboard>__<card>.sql"


@pytest.mark.parametrize(("dashboard", "key"), all_cards())
def test_card_visualization_uses_declared_columns(dashboard, key):
    _, card = card_by_key(dashboard, key)
    settings = card.visualization_settings
    used = [*settings.get("graph.dimensions", []), *settings.get("graph.metrics", [])]
    assert set(used) <= set(card.columns), f"{dashboard}.{key}: chart uses undeclared columns"
    if card.display in {"line", "bar", "scatter", "row", "area", "combo"}:
        assert settings.get("graph.dimensions") and settings.get("graph.metrics"), key
        # Metabase draws several metrics or one breakout, never both.
        assert len(settings["graph.dimensions"]) == 1 or len(settings["graph.metrics"]) == 1


@pytest.mark.parametrize(("dashboard", "key"), all_cards())
def test_card_filters_are_wired_through_the_macro_on_a_referenced_model(dashboard, key):
    spec, card = card_by_key(dashboard, key)
    sql = analysis_file(card.query).read_text()
    dashboard_filters = {item.id for item in spec.filters}
    # Every dashboard filter reaches every card of its dashboard.
    assert set(card.filters) == dashboard_filters, f"{dashboard}.{key}"
    for filter_id, mapping in card.filters.items():
        assert f"{{{{ metabase_filter('{mapping.tag}') }}}}" in sql, f"{key}: tag {mapping.tag}"
        optional = re.search(
            r"\[\[and \{\{ metabase_filter\('" + mapping.tag + r"'\) \}\}\]\]", sql
        )
        assert optional, f"{key}: the {filter_id} filter must sit in an optional clause"
        assert f"{{{{ ref('{mapping.field.model}') }}}}" in sql, (
            f"{key}: filter field model {mapping.field.model} is not ref()'d by the card"
        )


def analysis_sql_files():
    return sorted(
        path for path in ANALYSES_DIR.rglob("*.sql") if path.stem not in FOREIGN_CARD_QUERIES
    )


@pytest.mark.parametrize("path", analysis_sql_files(), ids=lambda p: p.stem)
def test_card_sql_uses_refs_only_and_ends_with_an_order_by(path):
    sql = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.DOTALL)
    assert "source(" not in sql and not SCHEMA_QUALIFIED.search(sql), f"{path}: use ref()"
    assert "{{ ref(" in sql, path
    last_statement = sql.strip().split("\n\n")[-1]
    assert last_statement.startswith("select * from "), f"{path}: ends with `select * from`"
    assert re.search(r"\norder by\s", last_statement), f"{path}: needs a stable final order by"


def test_publisher_collections_groups_and_access():
    config = publisher_config()
    assert set(config.collections) == {"overview", "ml", "engineering", "alerts"}
    homes = {spec.dashboard: spec.collection for spec in SPECS.values()}
    assert homes == {
        "experiment_overview": "overview",
        "variant_performance": "ml",
        "offline_vs_online": "ml",
        "model_quality": "ml",
        "latency_and_cost": "engineering",
    }
    groups = config.groups
    assert groups["ml_team"].collections == {"*": "write"} and groups["ml_team"].native_queries
    assert groups["engineering"].collections == {"overview": "read", "engineering": "read"}
    assert not groups["engineering"].native_queries
    assert groups["product"].collections == {"overview": "read"}
    assert not groups["product"].native_queries
    # Product sees no alert question and no model; Engineering only the questions of the alerts
    # it receives (latency, quarantine).
    readable = {
        group: {key for key in item.collections if key != "*"} for group, item in groups.items()
    }
    for alert in config.alerts:
        assert alert.collection not in readable["product"], alert.key
        if alert.collection in readable["engineering"]:
            assert alert.key in {"high_p99_latency", "quarantined_events"}
    for model in config.metabase_models:
        assert model.collection == "ml"


def test_each_group_reaches_the_dashboards_of_its_spec_audience():
    """publisher.yml read as Metabase combines it: a group reads a dashboard when it has read or
    write on its collection (directly or through "*"). The published state is checked with a
    real user per group in tests/python/metabase/test_e2e_publish.py."""
    config = publisher_config()
    assert {group.name for group in config.groups.values()} == {"ML Team", "Engineering", "Product"}
    for dashboard, audience in SPEC_AUDIENCES.items():
        collection = SPECS[dashboard].collection
        readers = {
            group.name
            for group in config.groups.values()
            if group.collections.get(collection, group.collections.get("*"))
        }
        writers = {
            group.name
            for group in config.groups.values()
            if group.collections.get(collection, group.collections.get("*")) == "write"
        }
        assert readers == audience, dashboard
        assert writers == SPEC_EDITORS, dashboard
    native = {group.name for group in config.groups.values() if group.native_queries}
    assert native == SPEC_EDITORS


def table_cards():
    return [(d, k) for d, k in all_cards() if card_by_key(d, k)[1].display == "table"]


def test_every_table_card_is_written_into_the_tests():
    assert {f"{d}.{k}" for d, k in table_cards()} == set(SHOWN_TABLE_TITLES)
    assert set(SPEC_TABLE_COLUMNS) <= set(SHOWN_TABLE_TITLES)


@pytest.mark.parametrize(("dashboard", "key"), table_cards())
def test_table_card_shows_the_spec_columns_in_order_with_titles(dashboard, key):
    _, card = card_by_key(dashboard, key)
    shown = column_titles(list(card.columns), card.visualization_settings)
    untitled = [c for c, t in zip(card.columns, shown, strict=True) if not t]
    assert not untitled, f"{dashboard}.{key}: columns without a title: {untitled}"
    assert tuple(shown) == SHOWN_TABLE_TITLES[f"{dashboard}.{key}"]
    spec = SPEC_TABLE_COLUMNS.get(f"{dashboard}.{key}")
    if spec:
        positions = spec_positions(spec, shown)
        assert -1 not in positions, f"{dashboard}.{key}: {dict(zip(spec, positions, strict=True))}"
        assert positions == sorted(positions), f"{dashboard}.{key}: not in the spec's order"


def test_significance_columns_are_unambiguous():
    _, card = card_by_key("variant_performance", "statistical_significance")
    shown = column_titles(list(card.columns), card.visualization_settings)
    by_title = dict(zip(shown, card.columns, strict=True))
    for title, column in SIGNIFICANCE_COLUMNS.items():
        assert by_title[title] == column, title
    # the adjusted p sits right before the verdict it drives
    assert shown.index("Significant?") == shown.index("P-value (adjusted)") + 1
    assert shown.index("Verdict") == shown.index("Significant?") + 1


def test_publisher_models_alerts_and_subscriptions_point_at_real_things():
    config = publisher_config()
    assert {model.key: model.name for model in config.metabase_models} == {
        "experiment_performance": "Experiment Performance",
        "daily_metrics": "Daily Metrics",
    }
    for model in config.metabase_models:
        path = analysis_file(model.query)
        assert path.parent == ANALYSES_DIR / "metabase" / "models"
        assert f"{{{{ ref('{model.key}') }}}}" in path.read_text()
    assert {alert.key for alert in config.alerts} == {
        "constraint_violation",
        "high_p99_latency",
        "low_acceptance",
        "no_events",
        "stale_analytics",
        "quarantined_events",
    }
    for alert in config.alerts:
        assert analysis_file(alert.query).parent == ANALYSES_DIR / "metabase" / "alerts"
        assert alert.description.strip() and alert.channels
        assert re.fullmatch(r"\S+ \S+ \S+ \S+ \S+ \S+( \S+)?", alert.schedule), alert.schedule
    channel_types = {key: channel.type for key, channel in config.channels.items()}
    by_key = {alert.key: alert for alert in config.alerts}
    assert {channel_types[c] for c in by_key["constraint_violation"].channels} == {"slack", "email"}
    assert {channel_types[c] for c in by_key["no_events"].channels} == {"slack", "email"}
    assert {channel_types[c] for c in by_key["high_p99_latency"].channels} == {"slack"}
    assert {channel_types[c] for c in by_key["low_acceptance"].channels} == {"email"}
    for subscription in config.subscriptions:
        assert subscription.dashboard in SPECS
        assert len(subscription.description.strip()) > 40, f"{subscription.key}: its reason"
    assert any(
        s.dashboard == "experiment_overview" and s.schedule.type == "weekly"
        for s in config.subscriptions
    )


def test_a_scheduled_report_for_every_audience():
    """Product: Experiment Overview; Engineering: Latency & Cost; ML team: Variant Performance
    and Model Quality — each by email to its own team."""
    config = publisher_config()
    reports = {
        (s.dashboard, recipient)
        for s in config.subscriptions
        for channel in s.channels
        for recipient in config.channels[channel].recipients
    }
    assert {
        ("experiment_overview", "${PRODUCT_EMAIL:-product@example.com}"),
        ("latency_and_cost", "${ENGINEERING_EMAIL:-engineering@example.com}"),
        ("variant_performance", "${ML_TEAM_EMAIL:-ml-team@example.com}"),
        ("model_quality", "${ML_TEAM_EMAIL:-ml-team@example.com}"),
    } <= reports
