"""Faults at each kind of write the first publish makes (Metabase double only).

For every kind of write request and every fault mode (error status, applied-then-error, dropped
connection), on a fresh double: the faulted run either recovers by itself (a create that was
applied is found again by its stable key) or fails with an error naming the object and what
Metabase said; then a clean re-run converges to exactly the state of a clean publish, with no
duplicates, and a third run writes nothing. Also: 429 with Retry-After and a slow answer
within the timeout succeed without a re-run.

The published project is the real one, cut to two dashboards (every kind of object still
occurs: collections, models, cards with filters, dashboards, groups, both permission graphs,
alerts, a subscription, field values) so the whole matrix stays fast.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from experiment_analytics.metabase import MetabaseApiError, PublishOptions, validate_only
from experiment_analytics.metabase.client import MetabaseClient, make_retry
from experiment_analytics.metabase.orchestrator import Publisher, PublishSettings
from experiment_analytics.metabase.payloads import normal_query
from experiment_analytics.metabase.summary import Summary
from experiment_analytics.metabase.validate import Specs
from experiment_analytics.metabase_double import Fault

from .conftest import DOUBLE_ONLY, EDGE_VERSIONS, HIGHEST_VERSION, Api, data, fresh_double

pytestmark = [DOUBLE_ONLY, pytest.mark.slow]

DASHBOARDS = ("experiment_overview", "variant_performance")
PERSISTENT = 1_000
# (method, path regex, words the error must contain to name the object)
WRITE_KINDS = {
    "collection POST": ("POST", r"^/api/collection$", r"collection '"),
    "card POST": ("POST", r"^/api/card$", r"(metabase model|card|alert question) [a-z_.]+"),
    "dashboard POST": ("POST", r"^/api/dashboard$", r"dashboard [a-z_]+"),
    "dashboard PUT": ("PUT", r"^/api/dashboard/\d+$", r"dashboard [a-z_]+"),
    "group POST": ("POST", r"^/api/permissions/group$", r"group '"),
    "collection graph PUT": ("PUT", r"^/api/collection/graph$", r"collection permissions"),
    "data graph PUT": ("PUT", r"^/api/permissions/graph$", r"data permissions"),
    "notification POST": ("POST", r"^/api/notification$", r"alert [a-z_]+"),
    "pulse POST": ("POST", r"^/api/pulse$", r"subscription [a-z_]+"),
    "field PUT": ("PUT", r"^/api/field/\d+$", r"field [a-z_]+\.[a-z_]+"),
}
MODES = {
    "status": {"kind": "status", "status": 500},
    "apply_then_fail": {"kind": "status", "status": 500, "apply_then_fail": True},
    "drop": {"kind": "drop"},
}


@pytest.fixture(scope="module")
def specs(demo_settings, compiled_target: Path) -> Specs:
    full = validate_only(
        PublishOptions(
            metabase_url="", warehouse=demo_settings, target_dir=compiled_target, compile=False
        )
    )
    config = full.config.model_copy(
        update={
            "subscriptions": tuple(
                s for s in full.config.subscriptions if s.dashboard in DASHBOARDS
            )
        }
    )
    dashboards = tuple(d for d in full.dashboards if d.dashboard in DASHBOARDS)
    assert len(dashboards) == len(DASHBOARDS) and config.subscriptions
    return replace(full, config=config, dashboards=dashboards)


class Killed(BaseException):
    """The publisher process dies (not an error it could handle)."""


def run(
    double,
    specs: Specs,
    warehouse,
    *,
    kill_after: int = 0,
    timeout: float = 10,
    settle: float = 0.5,
) -> Summary:
    """One publish. `kill_after=n`: the process dies right after Metabase answered its n-th
    write request (the write is applied; nothing after it happens)."""
    # Short backoff so the matrix is fast; the production policy is tested below (429, delay).
    client = MetabaseClient(
        double.url, api_key=double.api_key, timeout=timeout, retry=make_retry(total=3, backoff=0.01)
    )
    if kill_after:
        writes = Counter()

        def die(response, *args, **kwargs) -> None:
            if response.request.method in {"POST", "PUT", "DELETE"}:
                writes["n"] += 1
                if writes["n"] == kill_after:
                    raise Killed(f"killed after write {kill_after}")

        client.add_response_hook(die)
    settings = PublishSettings(
        double.database_name,
        warehouse,
        push_model_metadata=False,
        sync_poll_seconds=0.1,
        create_settle_seconds=settle,
        create_poll_seconds=0.05,
    )
    return Publisher(client, specs, settings).run()


def snapshot(double, config) -> dict[str, Any]:
    """The managed tree and our groups, alerts and subscriptions, by name (ids left out);
    counts expose duplicates."""
    api = Api(double.url, {"X-API-KEY": double.api_key})
    roots = [
        c
        for c in data(api.get("/api/collection/root/items", params={"models": "collection"}))
        if c["name"] == config.managed_collection
    ]
    state: dict[str, Any] = {"roots": len(roots)}
    if len(roots) != 1:
        return state
    collections = {"(root)": roots[0]["id"]}
    for child in data(
        api.get(f"/api/collection/{roots[0]['id']}/items", params={"models": "collection"})
    ):
        assert child["name"] not in collections, f"duplicate collection {child['name']}"
        collections[child["name"]] = child["id"]
    names = {cid: name for name, cid in collections.items()}
    state["collections"] = sorted(collections)
    cards: Counter[tuple] = Counter()
    dashboards: Counter[tuple] = Counter()
    card_names: dict[int, str] = {}
    for collection_id in collections.values():
        for item in data(api.get(f"/api/collection/{collection_id}/items")):
            if item["model"] in {"card", "dataset"}:
                card = api.get(f"/api/card/{item['id']}")
                card_names[card["id"]] = card["name"]
                query = normal_query(card["dataset_query"])
                tags = sorted((t, v["widget-type"]) for t, v in query["tags"].items())
                cards[
                    (names[collection_id], card["name"], card["type"], query["sql"], str(tags))
                ] += 1
    for collection_id in collections.values():
        for item in data(
            api.get(f"/api/collection/{collection_id}/items", params={"models": "dashboard"})
        ):
            board = api.get(f"/api/dashboard/{item['id']}")
            layout = sorted(
                (
                    card_names.get(dc["card_id"]),
                    dc["row"],
                    dc["col"],
                    dc["size_x"],
                    dc["size_y"],
                    str(
                        sorted(
                            (m["parameter_id"], str(m["target"])) for m in dc["parameter_mappings"]
                        )
                    ),
                )
                for dc in board["dashcards"]
            )
            parameters = sorted((p["id"], p["type"]) for p in board["parameters"])
            dashboards[(names[collection_id], board["name"], str(layout), str(parameters))] += 1
            pulses = [p for p in api.get("/api/pulse", params={"dashboard_id": board["id"]})]
            state.setdefault("pulses", Counter()).update(p["name"] for p in pulses)
    state["cards"] = cards
    state["dashboards"] = dashboards
    groups = Counter(g["name"] for g in data(api.get("/api/permissions/group")))
    state["groups"] = {spec.name: groups[spec.name] for spec in config.groups.values()}
    group_ids = {g["name"]: g["id"] for g in data(api.get("/api/permissions/group"))}
    collection_graph = api.get("/api/collection/graph")["groups"]
    state["collection access"] = sorted(
        (group, name, collection_graph.get(str(group_ids[group]), {}).get(str(cid), "none"))
        for group in [*(s.name for s in config.groups.values()), "All Users"]
        for name, cid in collections.items()
    )
    data_graph = api.get("/api/permissions/graph")["groups"]
    state["data access"] = sorted(
        (group, str(data_graph.get(str(group_ids[group]), {}).get(str(double.database_id))))
        for group in [*(s.name for s in config.groups.values()), "All Users"]
    )
    alerts = Counter()
    for card_id, name in card_names.items():
        for n in api.get("/api/notification", params={"card_id": card_id}):
            alerts[(name, str(n["subscriptions"][0]["cron_schedule"]), len(n["handlers"]))] += 1
    state["alerts"] = alerts
    return state


@pytest.fixture(scope="module")
def clean_state(specs: Specs, demo_settings) -> dict[str, Any]:
    with fresh_double(demo_settings) as double:
        run(double, specs, demo_settings)
        writes = double.write_requests()
        kinds = {(r.method, re.sub(r"\d+", "N", r.path)) for r in writes}
        assert not any("entity_id" in (r.body or {}) for r in writes if r.path == "/api/card"), (
            "a card create carried entity_id"
        )
        state = snapshot(double, specs.config)
    state["_write_kinds"] = kinds
    state["_writes"] = len(writes)
    return state


def public(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith("_")}


@pytest.mark.parametrize("version", EDGE_VERSIONS)
def test_killed_after_each_write_then_rerun_converges(
    version, specs, demo_settings, clean_state
) -> None:
    """The process dies right after each single write of a first publish (n = 1 .. all); a
    re-run finds what was created and converges with no duplicate of any kind."""
    total = clean_state["_writes"]
    assert total > 20
    for n in range(1, total + 1):
        with fresh_double(demo_settings, version=version) as double:
            with pytest.raises(Killed):
                run(double, specs, demo_settings, kill_after=n)
            run(double, specs, demo_settings)
            assert snapshot(double, specs.config) == public(clean_state), f"killed after {n}"
            double.clear_requests()
            run(double, specs, demo_settings)
            assert double.write_requests() == [], f"killed after write {n}: not converged"


DELAY = 2.0  # the late answer; the client's timeout in these runs is 1 s
CREATES = {
    "collection": ("POST", r"^/api/collection$"),
    "card": ("POST", r"^/api/card$"),
    "dashboard": ("POST", r"^/api/dashboard$"),
    "group": ("POST", r"^/api/permissions/group$"),
    "alert": ("POST", r"^/api/notification$"),
    "subscription": ("POST", r"^/api/pulse$"),
    # revision-checked: re-read and re-planned, never re-sent with the old revision
    "collection graph": ("PUT", r"^/api/collection/graph$"),
    "data graph": ("PUT", r"^/api/permissions/graph$"),
}


# A timeout after apply at both ends of the range; a server still working when the client gives
# up (the object appears only later) at the highest version (the code path is the same).
LATE = [
    *(("applied, then answered late", version) for version in EDGE_VERSIONS),
    ("slow, applied late", HIGHEST_VERSION),
]


@pytest.mark.parametrize("kind", CREATES)
@pytest.mark.parametrize(("applied", "version"), LATE)
def test_write_answered_after_the_timeout_is_not_repeated(
    applied, kind, version, specs, demo_settings, clean_state
) -> None:
    """Metabase applies a create but answers after the client gave up (or is still working on
    it when the client gives up): the publisher looks the object up, waiting for the server to
    finish, instead of sending it again. A permission-graph write in the same situation is
    re-read and re-planned, never re-sent with its old revision."""
    method, path = CREATES[kind]
    with fresh_double(demo_settings, version=version) as double:
        fault = double.inject(
            Fault(
                method=method,
                path=path,
                kind="delay",
                seconds=DELAY,
                apply_then_fail=applied.startswith("applied,"),
            )
        )
        started = time.monotonic()
        run(double, specs, demo_settings, timeout=1.0, settle=5.0)
        assert fault.fired == 1
        # The double logs the delayed request when its answer goes out, possibly after the run
        # ended (an object found at once, a graph confirmed by re-reading): let that thread
        # finish before the log is cleared for the zero-write check (a wait, not an assertion).
        time.sleep(max(0.0, started + DELAY + 2.0 - time.monotonic()))
        assert snapshot(double, specs.config) == public(clean_state)
        double.clear_requests()
        run(double, specs, demo_settings)
        assert double.write_requests() == []


def test_the_matrix_covers_every_kind_of_write(clean_state) -> None:
    covered = set()
    for method, pattern, _ in WRITE_KINDS.values():
        covered |= {
            (m, p)
            for m, p in clean_state["_write_kinds"]
            if m == method and re.search(pattern, p.replace("N", "1"))
        }
    assert covered == clean_state["_write_kinds"]
    assert all(count == 1 for count in clean_state["cards"].values())
    assert clean_state["alerts"] and all(c == 1 for c in clean_state["alerts"].values())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", WRITE_KINDS)
def test_fault_then_rerun_converges(kind, mode, specs, demo_settings, clean_state) -> None:
    method, pattern, names_object = WRITE_KINDS[kind]
    with fresh_double(demo_settings) as double:
        fault = double.inject(
            Fault(
                method=method,
                path=pattern,
                times=PERSISTENT,
                skip=1 if kind == "card POST" else 0,
                **MODES[mode],
            )
        )
        failed: MetabaseApiError | None = None
        try:
            run(double, specs, demo_settings)
        except MetabaseApiError as exc:
            failed = exc
        assert fault._fired > 0, "the fault never fired: the kind of write was not made"
        graph = kind in {"collection graph PUT", "data graph PUT"}
        recovers = mode == "apply_then_fail" and (method == "POST" or graph)
        if recovers:
            # The create was applied: the publisher finds it by its identity and goes on; a
            # graph write that was applied is seen as such when the graph is read again.
            assert failed is None, failed
        else:
            assert failed is not None, "a persistent fault must fail the run"
            message = str(failed)
            assert re.search(names_object, message), message
            said = "no answer from Metabase" if mode == "drop" else "Injected fault (HTTP 500)"
            assert said in message, message
        double.clear_faults()
        run(double, specs, demo_settings)
        state = snapshot(double, specs.config)
        assert state == public(clean_state)
        double.clear_requests()
        again = run(double, specs, demo_settings)
        assert double.write_requests() == [], [
            (c.kind, c.key, c.action) for c in again.changes if c.action != "unchanged"
        ]


def test_429_with_retry_after_and_a_slow_answer_succeed_in_one_run(
    specs, demo_settings, clean_state
) -> None:
    with fresh_double(demo_settings) as double:
        double.inject(
            Fault(method="PUT", path=r"^/api/dashboard/\d+$", kind="status", status=429, times=2)
        )
        double.inject(
            Fault(
                method="GET",
                path=r"^/api/collection/\d+/items$",
                kind="status",
                status=503,
                times=1,
            )
        )
        double.inject(
            Fault(method="PUT", path=r"^/api/collection/graph$", kind="delay", seconds=1.5)
        )
        client = MetabaseClient(double.url, api_key=double.api_key, timeout=5)  # production retry
        settings = PublishSettings(double.database_name, demo_settings, push_model_metadata=False)
        Publisher(client, specs, settings).run()
        statuses = Counter(r.status for r in double.requests)
        assert statuses[429] == 2 and statuses[503] == 1
        state = snapshot(double, specs.config)
        assert state == public(clean_state)


@pytest.mark.parametrize("mode", ["status"])
def test_fault_in_dbt_metabase_metadata_then_rerun_converges(mode, specs, demo_settings) -> None:
    """dbt-metabase's own writes (PUT /api/table/N) fail: a clear error, then convergence.
    (One mode only: each case is three full publishes with metadata, ~12 s; "drop" and
    "apply_then_fail" were run and pass too: `pytest -k dbt_metabase` after widening.)"""

    def full_run(double) -> None:
        client = MetabaseClient(
            double.url, api_key=double.api_key, timeout=10, retry=make_retry(total=2, backoff=0.01)
        )
        settings = PublishSettings(
            double.database_name,
            demo_settings,
            api_key=double.api_key,
            create_settle_seconds=0.5,
            create_poll_seconds=0.05,
        )
        Publisher(client, specs, settings).run()

    with fresh_double(demo_settings) as double:
        double.inject(
            Fault(method="PUT", path=r"^/api/table/\d+$", times=PERSISTENT, **MODES[mode])
        )
        with pytest.raises(MetabaseApiError) as caught:
            full_run(double)
        message = str(caught.value)
        assert "model metadata (dbt-metabase)" in message and "/api/table/" in message, message
        if mode != "drop":
            assert "Injected fault (HTTP 500)" in message and "answered 500" in message, message
        assert double.api_key not in message
        double.clear_faults()
        full_run(double)
        double.clear_requests()
        full_run(double)
        assert double.write_requests() == []
