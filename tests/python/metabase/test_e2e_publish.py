"""End-to-end: demo warehouse -> dbt build -> publish the REAL project to Metabase -> assert the
whole resulting state through the API; then idempotence, one-card change, --plan through the
CLI, --prune. Runs against the Metabase double, or a real Metabase when METABASE_URL is set.

The tests of this module share one publish and run in file order (later ones change the state).
"""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from dashboards.spec_expectations import (
    SHOWN_TABLE_TITLES,
    SIGNIFICANCE_COLUMNS,
    SPEC_AUDIENCES,
    SPEC_EDITORS,
    SPEC_GROUPS,
    SPEC_TABLE_COLUMNS,
    column_titles,
    spec_positions,
)

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase import cli
from experiment_analytics.metabase.payloads import normal_query
from experiment_analytics.metabase.project import ProjectInfo, load_project
from experiment_analytics.metabase.publishers.base import DuplicateObjectError
from experiment_analytics.metabase.spec import (
    DashboardSpec,
    PublisherConfig,
    expand_env,
    parse_dashboard,
    parse_publisher,
)
from experiment_analytics.warehouse import connect

from .conftest import Api, MetabaseTarget, copy_project, data

pytestmark = pytest.mark.slow

CONFIG: PublisherConfig = parse_publisher(PROJECT_DIR / "metabase" / "publisher.yml")
DASHBOARDS: dict[str, DashboardSpec] = {
    spec.dashboard: spec
    for spec in (
        parse_dashboard(p) for p in sorted((PROJECT_DIR / "metabase/dashboards").glob("*.yml"))
    )
}
GROUP_NAMES = {key: spec.name for key, spec in CONFIG.groups.items()}


def card_names() -> dict[str, str]:
    """card key -> card name (the card's identity in the managed tree)."""
    names = {m.key: m.name for m in CONFIG.metabase_models}
    names.update({f"{d.dashboard}.{c.key}": c.name for d in DASHBOARDS.values() for c in d.cards})
    names.update({a.key: a.name for a in CONFIG.alerts})
    return names


# -- state read back through the API ----------------------------------------------------------


class Published:
    """The managed tree as Metabase reports it (admin view)."""

    def __init__(self, target: MetabaseTarget, project: ProjectInfo) -> None:
        self.target = target
        self.api: Api = target.admin()
        self.project = project
        roots = [
            c
            for c in data(
                self.api.get("/api/collection/root/items", params={"models": "collection"})
            )
            if c["name"] == CONFIG.managed_collection
        ]
        assert len(roots) == 1, roots
        self.root_id = roots[0]["id"]
        children = data(
            self.api.get(f"/api/collection/{self.root_id}/items", params={"models": "collection"})
        )
        self.collections = {"*root": self.root_id}
        for key, spec in CONFIG.collections.items():
            found = [c for c in children if c["name"] == spec.name]
            assert len(found) == 1, (key, found)
            self.collections[key] = found[0]["id"]
        live_cards: dict[str, list[int]] = {}
        for collection_id in self.collections.values():
            for item in data(
                self.api.get(
                    f"/api/collection/{collection_id}/items",
                    params=[("models", "card"), ("models", "dataset")],
                )
            ):
                live_cards.setdefault(item["name"], []).append(item["id"])
        self.cards = {}
        for key, name in card_names().items():
            assert len(live_cards.get(name, [])) == 1, (key, name, live_cards.get(name))
            self.cards[key] = self.api.get(f"/api/card/{live_cards[name][0]}")
        self.dashboards: dict[str, dict[str, Any]] = {}
        for collection_id in self.collections.values():
            for item in data(
                self.api.get(
                    f"/api/collection/{collection_id}/items", params={"models": "dashboard"}
                )
            ):
                spec = next(d for d in DASHBOARDS.values() if d.name == item["name"])
                assert spec.dashboard not in self.dashboards, f"duplicate dashboard {item['name']}"
                self.dashboards[spec.dashboard] = self.api.get(f"/api/dashboard/{item['id']}")
        self.database_id = next(
            db["id"]
            for db in data(self.api.get("/api/database"))
            if db["name"] == target.database_name
        )
        metadata = self.api.get(
            f"/api/database/{self.database_id}/metadata", params={"include_hidden": "true"}
        )
        self.tables = {(t["schema"], t["name"]): t for t in metadata["tables"]}

    def field_id(self, model: str, column: str) -> int:
        info = self.project.models[model]
        table = self.tables[(info.schema, info.alias)]
        return next(f["id"] for f in table["fields"] if f["name"] == column)

    def group_id(self, name: str) -> int:
        return next(
            g["id"] for g in data(self.api.get("/api/permissions/group")) if g["name"] == name
        )


@pytest.fixture(scope="module")
def first_publish(metabase_target: MetabaseTarget, compiled_target: Path):
    metabase_target.clear_log()
    summary = metabase_target.publish(compiled_target)
    if metabase_target.double is not None:
        writes = metabase_target.double.write_requests()
        metabase_target.extra["first_writes"] = len(writes)
        metabase_target.extra["card_creates"] = [
            r for r in writes if (r.method, r.path) == ("POST", "/api/card")
        ]
    return summary


@pytest.fixture(scope="module")
def published(metabase_target: MetabaseTarget, compiled_target: Path, first_publish) -> Published:
    return Published(metabase_target, load_project(compiled_target / "manifest.json"))


# -- the resulting state ---------------------------------------------------------------------


def test_first_publish_creates_everything(first_publish, metabase_target, compiled_target) -> None:
    if metabase_target.double is None:
        pytest.skip("a real Metabase may already hold the objects: 'created' is double-only")
    created = {(c.kind, c.key) for c in first_publish.changes if c.action == "created"}
    assert {("dashboard", name) for name in DASHBOARDS} <= created
    assert {("metabase model", m.key) for m in CONFIG.metabase_models} <= created
    assert {("alert", a.key) for a in CONFIG.alerts} <= created
    assert {("subscription", s.key) for s in CONFIG.subscriptions} <= created
    assert {("collection", key) for key in CONFIG.collections} <= created


def test_collections_dashboards_and_cards(published: Published) -> None:
    assert set(published.dashboards) == set(DASHBOARDS)
    for name, spec in DASHBOARDS.items():
        dashboard = published.dashboards[name]
        assert dashboard["description"] == spec.description
        assert dashboard["collection_id"] == published.collections[spec.collection]
        assert dashboard["width"] == spec.width
        assert sorted((p["id"], p["type"]) for p in dashboard["parameters"]) == sorted(
            (f.id, f.type) for f in spec.filters
        )
        by_card = {dc["card_id"]: dc for dc in dashboard["dashcards"]}
        assert len(by_card) == len(dashboard["dashcards"]) == len(spec.cards)
        for card_spec in spec.cards:
            card = published.cards[f"{name}.{card_spec.key}"]
            assert card["name"] == card_spec.name
            assert card["type"] == "question"
            assert card["collection_id"] == dashboard["collection_id"]
            assert card["archived"] is False
            expected_display = "table" if card_spec.display == "boxplot" else card_spec.display
            assert card["display"] == expected_display
            assert normal_query(card["dataset_query"])["sql"]
            dashcard = by_card[card["id"]]
            position = card_spec.position
            assert (dashcard["row"], dashcard["col"], dashcard["size_x"], dashcard["size_y"]) == (
                position.row,
                position.col,
                position.size_x,
                position.size_y,
            )
    for model in CONFIG.metabase_models:
        card = published.cards[model.key]
        assert card["type"] == "model" and card["name"] == model.name
        assert card["collection_id"] == published.collections[model.collection]
    for alert in CONFIG.alerts:
        card = published.cards[alert.key]
        assert card["type"] == "question"
        assert card["collection_id"] == published.collections[alert.collection]


def test_filters_are_wired_to_every_card_that_has_the_tag(published: Published) -> None:
    wired = 0
    for name, spec in DASHBOARDS.items():
        dashboard = published.dashboards[name]
        by_card = {dc["card_id"]: dc for dc in dashboard["dashcards"]}
        for card_spec in spec.cards:
            card = published.cards[f"{name}.{card_spec.key}"]
            query = normal_query(card["dataset_query"])
            tags, sql = query["tags"], query["sql"]
            # Every tag in the SQL is declared, and every declared tag is in a mapping.
            assert {t for t in tags if "{{" + t + "}}" in sql} == set(tags)
            mappings = by_card[card["id"]]["parameter_mappings"]
            assert sorted(m["parameter_id"] for m in mappings) == sorted(card_spec.filters)
            for mapping in mappings:
                filter_spec = card_spec.filters[mapping["parameter_id"]]
                assert mapping["card_id"] == card["id"]
                assert mapping["target"] == ["dimension", ["template-tag", filter_spec.tag]]
                tag = tags[filter_spec.tag]
                assert tag["type"] == "dimension"
                assert tag["field"] == published.field_id(
                    filter_spec.field.model, filter_spec.field.column
                )
                assert tag["widget-type"] == spec.filter(mapping["parameter_id"]).type
                wired += 1
            assert set(tags) == {m.tag for m in card_spec.filters.values()}
    assert wired >= 2, "the real project wires at least two filters"


_USERS = itertools.count()
# The one-card change: a card's description (its name is its identity; a rename is a new card).
EDIT_FROM = "description: Number of experiments whose status is active."
EDITED = "Number of experiments whose status is active (edited)."
EDIT_TO = f"description: {EDITED}"


def _user(published: Published, groups: list[str]) -> Api:
    api = published.api
    email = f"e2e-{uuid.uuid4().hex[:8]}-{next(_USERS)}@example.com"
    password = f"pw-{uuid.uuid4().hex}"
    user = api.ok("POST", "/api/user", {"first_name": "E2E", "last_name": "Test", "email": email})
    api.ok("PUT", f"/api/user/{user['id']}/password", {"password": password})
    for name in groups:
        api.ok(
            "POST",
            "/api/permissions/membership",
            {"group_id": published.group_id(name), "user_id": user["id"]},
        )
    token = api.ok("POST", "/api/session", {"username": email, "password": password})["id"]
    return Api(published.target.url, {"X-Metabase-Session": token})


def _level(group_key: str | None, collection_key: str) -> str:
    if group_key is None:  # All Users only
        return "none"
    levels = CONFIG.groups[group_key].collections
    if collection_key == "*root":
        return levels.get("*", "none")
    return levels.get(collection_key, levels.get("*", "none"))


@pytest.mark.parametrize("group_key", [*CONFIG.groups, None], ids=[*CONFIG.groups, "all_users"])
def test_effective_permissions_of_each_group(published: Published, group_key) -> None:
    user = _user(published, [GROUP_NAMES[group_key]] if group_key else [])
    key_of = {cid: key for key, cid in published.collections.items()}
    for key, collection_id in published.collections.items():
        level = _level(group_key, key)
        status = user.call("GET", f"/api/collection/{collection_id}").status_code
        assert (status == 200) == (level in {"read", "write"}), (group_key, key, status)
    for name, dashboard in published.dashboards.items():
        level = _level(group_key, key_of[dashboard["collection_id"]])
        status = user.call("GET", f"/api/dashboard/{dashboard['id']}").status_code
        assert (status == 200) == (level in {"read", "write"}), (group_key, name, status)
    for key, card in published.cards.items():
        level = _level(group_key, key_of[card["collection_id"]])
        status = user.call("GET", f"/api/card/{card['id']}").status_code
        assert (status == 200) == (level in {"read", "write"}), (group_key, key, status)
        # Write: re-send the card's own description (a no-op when allowed).
        status = user.call(
            "PUT", f"/api/card/{card['id']}", json={"description": card["description"]}
        ).status_code
        assert (status == 200) == (level == "write"), (group_key, key, "write", status)
    native = user.call(
        "POST",
        "/api/dataset",
        json={
            "database": published.database_id,
            "type": "native",
            "native": {"query": "select 1 as one"},
        },
    ).status_code
    may_write_sql = bool(group_key and CONFIG.groups[group_key].native_queries)
    assert (native < 300) == may_write_sql, (group_key, native)


_RANK = {"none": 0, "read": 1, "write": 2}
_QUERY_RANK = {"no": 0, "query-builder": 1, "query-builder-and-native": 2}


def test_effective_access_computed_from_the_graphs(published: Published) -> None:
    """Each member's access is the most permissive of their groups and All Users (Metabase's
    rule); computed from both graphs it must be what publisher.yml says, and All Users alone
    reaches no managed collection, not Metabase's root either, and cannot query."""
    collections = published.api.get("/api/collection/graph")["groups"]
    data_graph = published.api.get("/api/permissions/graph")["groups"]
    db = str(published.database_id)
    all_users = str(published.group_id("All Users"))

    def level(group: str, collection: Any) -> str:  # an omitted cell is "none" (0.56.13+)
        return (collections.get(group) or {}).get(str(collection), "none")

    def queries(group: str) -> str:  # an omitted key holds the default "no"
        return ((data_graph.get(group) or {}).get(db) or {}).get("create-queries", "no")

    assert level(all_users, "root") == "none"
    assert queries(all_users) == "no"
    for group_key in [*CONFIG.groups, None]:
        groups = [all_users]
        if group_key is not None:
            groups.append(str(published.group_id(GROUP_NAMES[group_key])))
        for key, collection_id in published.collections.items():
            effective = max((level(g, collection_id) for g in groups), key=_RANK.get)
            assert effective == _level(group_key, key), (group_key, key, effective)
        effective_queries = max((queries(g) for g in groups), key=_QUERY_RANK.get)
        native = bool(group_key and CONFIG.groups[group_key].native_queries)
        assert (effective_queries == "query-builder-and-native") == native, group_key
        if group_key and not native:
            assert effective_queries == "no", (group_key, effective_queries)


@pytest.mark.parametrize("group", sorted(SPEC_GROUPS))
def test_each_group_opens_exactly_the_dashboards_of_its_spec_audience(
    published: Published, group: str
) -> None:
    """The spec's audiences (tests/python/dashboards/spec_expectations.py), not publisher.yml:
    a real member of the group opens a dashboard and runs its card exactly when the spec names
    the group as an audience, and edits it exactly when the spec lets the group edit."""
    user = _user(published, [group])
    for name, dashboard in published.dashboards.items():
        allowed = group in SPEC_AUDIENCES[name]
        status = user.call("GET", f"/api/dashboard/{dashboard['id']}").status_code
        assert (status == 200) == allowed, (group, name, status)
        # cards take their access from the collection: one query per dashboard is enough
        first_card = min(dashboard["dashcards"], key=lambda d: (d["row"], d["col"]))["card_id"]
        answer = user.call("POST", f"/api/card/{first_card}/query", json={})
        assert (answer.status_code < 300) == allowed, (group, name, answer.status_code)
        edit = user.call(
            "PUT",
            f"/api/dashboard/{dashboard['id']}",
            json={"description": dashboard["description"]},
        ).status_code
        assert (edit == 200) == (group in SPEC_EDITORS), (group, name, "edit", edit)


def test_admins_open_and_edit_every_dashboard(published: Published) -> None:
    for name, dashboard in published.dashboards.items():
        assert published.api.call("GET", f"/api/dashboard/{dashboard['id']}").status_code == 200
        status = published.api.call(
            "PUT",
            f"/api/dashboard/{dashboard['id']}",
            json={"description": dashboard["description"]},
        ).status_code
        assert status == 200, name


def test_published_table_cards_show_the_spec_columns_and_titles(published: Published) -> None:
    """Each table card as Metabase shows it: the columns its query returns, in that order, under
    the titles of its published visualization settings."""
    tables = {
        key: card
        for key, card in published.cards.items()
        if card.get("display") == "table" and key.split(".")[0] in DASHBOARDS
    }
    assert set(tables) == set(SHOWN_TABLE_TITLES)
    for key, card in tables.items():
        answer = published.api.ok("POST", f"/api/card/{card['id']}/query", {})
        columns = [col["name"] for col in answer["data"]["cols"]]
        shown = column_titles(columns, card["visualization_settings"])
        assert None not in shown, (key, dict(zip(columns, shown, strict=True)))
        assert tuple(shown) == SHOWN_TABLE_TITLES[key], key
        if key in SPEC_TABLE_COLUMNS:
            positions = spec_positions(SPEC_TABLE_COLUMNS[key], shown)
            assert -1 not in positions and positions == sorted(positions), (key, positions)
        if key == "variant_performance.statistical_significance":
            by_title = dict(zip(shown, columns, strict=True))
            assert {t: by_title[t] for t in SIGNIFICANCE_COLUMNS} == SIGNIFICANCE_COLUMNS
            assert shown.index("Significant?") == shown.index("P-value (adjusted)") + 1


def _recipients(channel_keys) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key in channel_keys:
        channel = CONFIG.channels[key]
        values = channel.recipients if channel.type == "email" else [channel.channel]
        found.setdefault(f"channel/{channel.type}", []).extend(
            v.strip() for value in values for v in expand_env(value).split(",") if v.strip()
        )
    return {k: sorted(v) for k, v in found.items()}


def test_alerts(published: Published) -> None:
    total = 0
    for alert in CONFIG.alerts:
        card = published.cards[alert.key]
        notifications = [
            n
            for n in published.api.get("/api/notification", params={"card_id": card["id"]})
            if n["payload"]["card_id"] == card["id"]
        ]
        assert len(notifications) == 1, (alert.key, notifications)
        notification = notifications[0]
        total += 1
        assert notification["active"] is True
        assert notification["payload_type"] == "notification/card"
        assert notification["payload"]["send_condition"] == "has_result"
        assert notification["payload"]["send_once"] is alert.send_once
        assert [s["cron_schedule"] for s in notification["subscriptions"]] == [alert.schedule]
        handlers = {
            h["channel_type"]: sorted(r["details"]["value"] for r in h["recipients"])
            for h in notification["handlers"]
        }
        assert handlers == _recipients(alert.channels), alert.key
        assert len(handlers) == len(notification["handlers"]), "one handler per channel type"
    assert total == len(CONFIG.alerts) == 6


def test_subscriptions(published: Published) -> None:
    for subscription in CONFIG.subscriptions:
        dashboard = published.dashboards[subscription.dashboard]
        pulses = [
            p
            for p in published.api.get("/api/pulse", params={"dashboard_id": dashboard["id"]})
            if p["name"] == subscription.name and not p.get("archived")
        ]
        assert len(pulses) == 1, (subscription.key, pulses)
        pulse = pulses[0]
        assert sorted(c["id"] for c in pulse["cards"]) == sorted(
            dc["card_id"] for dc in dashboard["dashcards"]
        )
        recipients: dict[str, list[str]] = {}
        for channel in pulse["channels"]:
            assert channel["schedule_type"] == subscription.schedule.type
            assert channel["schedule_hour"] == subscription.schedule.hour
            if subscription.schedule.type == "weekly":
                assert channel["schedule_day"] == subscription.schedule.day
            values = [r["email"] for r in channel.get("recipients") or []]
            values += [channel["details"]["channel"]] if channel["channel_type"] == "slack" else []
            recipients.setdefault(f"channel/{channel['channel_type']}", []).extend(values)
        assert {k: sorted(v) for k, v in recipients.items()} == _recipients(subscription.channels)


def _first_experiment(published: Published) -> str:
    info = published.project.models["experiments"]
    conn = connect(published.target.warehouse)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f'select experiment_name from "{info.schema}"."{info.alias}" '
                "where status = 'active' order by experiment_name limit 1"
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_every_card_query_runs_in_metabase(published: Published) -> None:
    columns = {
        f"{name}.{c.key}": c.columns for name, spec in DASHBOARDS.items() for c in spec.cards
    }
    for key, card in published.cards.items():
        answer = published.api.ok("POST", f"/api/card/{card['id']}/query", {})
        assert answer["status"] == "completed", (key, answer.get("error"))
        names = [col["name"] for col in answer["data"]["cols"]]
        assert set(columns.get(key, ())) <= set(names), (key, names)


def test_card_queries_with_filter_values(published: Published) -> None:
    experiment = _first_experiment(published)
    ran = 0
    for name, spec in DASHBOARDS.items():
        for card_spec in spec.cards:
            if not card_spec.filters:
                continue
            card = published.cards[f"{name}.{card_spec.key}"]
            parameters = []
            for filter_id, mapping in card_spec.filters.items():
                kind = spec.filter(filter_id).type
                value: Any = [experiment] if kind.startswith("string") else "past30days"
                parameters.append(
                    {
                        "id": filter_id,
                        "type": kind,
                        "value": value,
                        "target": ["dimension", ["template-tag", mapping.tag]],
                    }
                )
            answer = published.api.ok(
                "POST", f"/api/card/{card['id']}/query", {"parameters": parameters}
            )
            assert answer["status"] == "completed", (card_spec.key, answer.get("error"))
            names = [col["name"] for col in answer["data"]["cols"]]
            if "experiment_name" in names:
                index = names.index("experiment_name")
                assert {row[index] for row in answer["data"]["rows"]} <= {experiment}
            ran += 1
    assert ran > 0


def test_summary_json(first_publish, metabase_target, compiled_target: Path) -> None:
    saved = json.loads((compiled_target / "metabase_publish_summary.json").read_text())
    assert saved["metabase_version"] == first_publish.metabase_version != ""
    assert set(saved["dashboard_urls"]) == set(DASHBOARDS)
    assert all(url.startswith(metabase_target.url) for url in saved["dashboard_urls"].values())
    assert saved["requests"] > saved["write_requests"] >= 0
    assert sum(saved["counts"]["dashboard"].values()) == len(DASHBOARDS)
    assert saved["pending"] == first_publish.pending
    if metabase_target.double is not None:  # a fresh instance: everything was written
        assert saved["write_requests"] == metabase_target.extra["first_writes"] > 0
        assert saved["counts"]["dashboard"]["created"] == len(DASHBOARDS)
        assert saved["pending"] is True


# -- idempotence, changes, plan, prune -----------------------------------------------------


def test_second_publish_writes_nothing(published: Published, compiled_target: Path) -> None:
    target = published.target
    target.clear_log()
    summary = target.publish(compiled_target)
    assert not summary.pending, [c for c in summary.changes if c.action != "unchanged"]
    assert target.write_count(summary) == 0
    assert summary.write_requests == 0


def _cli(monkeypatch, target: MetabaseTarget, *args: str) -> int:
    monkeypatch.setenv("METABASE_URL", target.url)
    if target.api_key:
        monkeypatch.setenv("METABASE_API_KEY", target.api_key)
    else:
        monkeypatch.delenv("METABASE_API_KEY", raising=False)
        monkeypatch.setenv("METABASE_USERNAME", target.username or "")
        monkeypatch.setenv("METABASE_PASSWORD", target.password or "")
    monkeypatch.setenv("METABASE_DATABASE", target.database_name)
    for name, value in target.warehouse.as_env().items():
        monkeypatch.setenv(name, value)
    return cli.main(["--no-compile", *args])


def test_plan_through_the_cli(
    published: Published, compiled_target, tmp_path, monkeypatch, capsys
) -> None:
    target = published.target
    project = copy_project(tmp_path / "project")
    target.clear_log()
    code = _cli(
        monkeypatch,
        target,
        "--plan",
        "--target-path",
        str(compiled_target),
        "--project-dir",
        str(project),
    )
    assert code == 0, capsys.readouterr()
    spec_file = project / "metabase/dashboards/experiment_overview.yml"
    spec_file.write_text(spec_file.read_text().replace(EDIT_FROM, EDIT_TO))
    code = _cli(
        monkeypatch,
        target,
        "--plan",
        "--target-path",
        str(compiled_target),
        "--project-dir",
        str(project),
    )
    out = capsys.readouterr().out
    assert code == 2, out
    assert "~ card experiment_overview.active_experiment_count (updated)" in out
    assert f"description: {EDIT_FROM.split(': ', 1)[1]!r} -> {EDITED!r}" in out
    assert out.count("experiment_overview.active_experiment_count") == 1, out
    code = _cli(
        monkeypatch,
        target,
        "--plan",
        "--json",
        "--target-path",
        str(compiled_target),
        "--project-dir",
        str(project),
    )
    plan = json.loads(capsys.readouterr().out)
    assert code == 2 and plan["plan"] is True and plan["pending"] is True
    assert plan["changes"] == [
        {
            "kind": "card",
            "key": "experiment_overview.active_experiment_count",
            "action": "updated",
            "detail": "",
            "fields": {
                "description": {"old": EDIT_FROM.split(": ", 1)[1], "new": EDITED},
            },
        }
    ]
    if target.double is not None:
        assert target.double.write_requests() == []


def test_one_changed_card_is_one_update(published: Published, compiled_target, tmp_path) -> None:
    target = published.target
    project = copy_project(tmp_path / "project")
    spec_file = project / "metabase/dashboards/experiment_overview.yml"
    spec_file.write_text(spec_file.read_text().replace(EDIT_FROM, EDIT_TO))
    target.clear_log()
    summary = target.publish(compiled_target, project_dir=project)
    assert [(c.kind, c.key, c.action) for c in summary.changes if c.action != "unchanged"] == [
        ("card", "experiment_overview.active_experiment_count", "updated")
    ]
    assert summary.write_requests == 1
    if target.double is not None:
        writes = target.double.write_requests()
        card_id = published.cards["experiment_overview.active_experiment_count"]["id"]
        assert [(w.method, w.path) for w in writes] == [("PUT", f"/api/card/{card_id}")]
    card_id = published.cards["experiment_overview.active_experiment_count"]["id"]
    assert published.api.get(f"/api/card/{card_id}")["description"] == EDITED
    # back to the code of the repository: one update again
    target.clear_log()
    summary = target.publish(compiled_target)
    assert summary.write_requests == 1


def test_prune_archives_removed_card_and_touches_nothing_outside(
    published: Published, compiled_target, tmp_path
) -> None:
    target, api = published.target, published.api
    outside = api.ok(
        "POST", "/api/collection", {"name": f"Unmanaged {uuid.uuid4().hex[:6]}", "parent_id": None}
    )
    outside_card = api.ok(
        "POST",
        "/api/card",
        {
            "name": "Hand-made question",
            "display": "table",
            "visualization_settings": {},
            "collection_id": outside["id"],
            "dataset_query": {
                "database": published.database_id,
                "type": "native",
                "native": {"query": "select 1 as one"},
            },
        },
    )
    project = copy_project(tmp_path / "project")
    spec_file = project / "metabase/dashboards/experiment_overview.yml"
    spec = yaml.safe_load(spec_file.read_text())
    removed = spec["cards"].pop()["key"]
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    removed_id = published.cards[f"experiment_overview.{removed}"]["id"]
    # and a subscription: it must stop sending
    config_file = project / "metabase/publisher.yml"
    config = yaml.safe_load(config_file.read_text())
    gone = config["subscriptions"].pop()
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    board_id = published.dashboards[gone["dashboard"]]["id"]
    (pulse,) = [
        p
        for p in api.get("/api/pulse", params={"dashboard_id": board_id})
        if p["name"] == gone["name"]
    ]

    target.clear_log()
    summary = target.publish(compiled_target, project_dir=project, prune=True)
    archived = [(c.kind, c.key) for c in summary.changes if c.action == "archived"]
    assert archived == [
        ("subscription", f"{gone['name']} (id {pulse['id']}, dashboard {gone['dashboard']})"),
        ("card", f"{published.cards[f'experiment_overview.{removed}']['name']} (id {removed_id})"),
    ]
    assert api.get(f"/api/card/{removed_id}")["archived"] is True
    assert api.get(f"/api/pulse/{pulse['id']}")["archived"] is True
    dashboard = api.get(f"/api/dashboard/{published.dashboards['experiment_overview']['id']}")
    assert removed_id not in [dc["card_id"] for dc in dashboard["dashcards"]]
    assert api.get(f"/api/collection/{outside['id']}")["archived"] is False
    card = api.get(f"/api/card/{outside_card['id']}")
    assert card["archived"] is False and card["name"] == "Hand-made question"
    if target.double is not None:
        touched = {w.path for w in target.double.write_requests()}
        assert not any(
            str(outside["id"]) in p.split("/") or str(outside_card["id"]) in p.split("/")
            for p in touched
        ), touched
    # converged: the same code again writes nothing
    target.clear_log()
    again = target.publish(compiled_target, project_dir=project, prune=True)
    assert again.write_requests == 0
    # restore the repository's code: the card and the subscription are un-archived, not
    # re-created
    target.clear_log()
    restored = target.publish(compiled_target)
    assert api.get(f"/api/card/{removed_id}")["archived"] is False
    assert api.get(f"/api/pulse/{pulse['id']}")["archived"] is False
    if target.double is not None:
        assert not [w for w in target.double.write_requests() if w.method == "POST"]
    assert {(c.kind, c.detail) for c in restored.changes if c.action == "updated"} >= {
        ("card", "restored from the trash"),
        ("subscription", "restored from the trash"),
    }


def test_two_objects_with_one_identity_stop_the_run_or_are_resolved_by_prune(
    published: Published, compiled_target
) -> None:
    """A hand-made copy of a managed card (same name, in the managed tree): the run stops
    naming both ids; --prune keeps the oldest and archives the copy; then zero writes."""
    target, api = published.target, published.api
    original = published.cards["experiment_overview.experiments_table"]
    copy = api.ok(
        "POST",
        "/api/card",
        {
            "name": original["name"],
            "display": "table",
            "visualization_settings": {},
            "collection_id": published.collections["ml"],
            "dataset_query": {
                "database": published.database_id,
                "type": "native",
                "native": {"query": "select 1 as one"},
            },
        },
    )
    with pytest.raises(DuplicateObjectError) as caught:
        target.publish(compiled_target)
    message = str(caught.value)
    assert f"ids {original['id']}, {copy['id']}" in message and "--prune" in message, message
    target.publish(compiled_target, prune=True)
    assert api.get(f"/api/card/{copy['id']}")["archived"] is True
    assert api.get(f"/api/card/{original['id']}")["archived"] is False
    target.clear_log()
    again = target.publish(compiled_target)
    assert target.write_count(again) == 0 and not again.pending


def test_no_card_create_carries_an_entity_id(first_publish, metabase_target) -> None:
    if metabase_target.double is None:
        pytest.skip("reads the double's request log")
    creates = metabase_target.extra["card_creates"]
    assert len(creates) == len(card_names())
    assert not [r for r in creates if "entity_id" in (r.body or {})]
