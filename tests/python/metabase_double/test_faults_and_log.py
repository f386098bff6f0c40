"""Injected faults (status, delay, drop; skip/times; apply_then_fail) and the request log."""

from __future__ import annotations

import json
import time

import pytest
import requests

from experiment_analytics.metabase_double import Fault, MetabaseDouble
from metabase_double.conftest import Api


@pytest.fixture
def fresh(tmp_path) -> MetabaseDouble:
    with MetabaseDouble(sync_delay_seconds=0, request_log_path=tmp_path / "requests.jsonl") as d:
        yield d


def _api(double: MetabaseDouble) -> Api:
    return Api(double.url, {"X-API-KEY": double.api_key})


def _names(api: Api) -> list[str]:
    return [c["name"] for c in api.ok("GET", "/api/collection") if c["id"] != "root"]


def test_status_fault_does_not_apply_the_write(fresh: MetabaseDouble) -> None:
    api = _api(fresh)
    fresh.inject(Fault(method="POST", path=r"^/api/collection$", kind="status", status=503))
    assert api.post("/api/collection", {"name": "First try"}).status_code == 503
    assert "First try" not in _names(api)
    assert api.post("/api/collection", {"name": "Second try"}).status_code == 200  # times=1
    assert "Second try" in _names(api)


def test_apply_then_fail_applies_the_write_then_answers_the_error(fresh: MetabaseDouble) -> None:
    api = _api(fresh)
    fresh.inject(Fault(method="POST", path=r"^/api/collection$", status=500, apply_then_fail=True))
    assert api.post("/api/collection", {"name": "Half done"}).status_code == 500
    assert "Half done" in _names(api)


def test_skip_and_times_and_429_retry_after(fresh: MetabaseDouble) -> None:
    api = _api(fresh)
    fault = fresh.inject(Fault(path=r"^/api/card$", status=429, skip=1, times=2))
    statuses = [api.get("/api/card") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 429, 429, 200]
    assert statuses[1].headers["Retry-After"] == "0"
    assert fault.fired == 2
    fresh.inject(Fault(method="PUT", path=r"^/api/card$", status=500))
    assert api.get("/api/card").status_code == 200  # the method must match too
    fresh.clear_faults()


def test_drop_closes_the_connection_and_can_apply_first(fresh: MetabaseDouble) -> None:
    api = _api(fresh)
    fresh.inject(Fault(method="POST", path=r"^/api/collection$", kind="drop"))
    with pytest.raises(requests.ConnectionError):
        api.post("/api/collection", {"name": "Dropped"})
    assert "Dropped" not in _names(api)
    fresh.inject(Fault(method="POST", path=r"^/api/collection$", kind="drop", apply_then_fail=True))
    with pytest.raises(requests.ConnectionError):
        api.post("/api/collection", {"name": "Dropped after write"})
    assert "Dropped after write" in _names(api)


def test_delay_then_serves_normally(fresh: MetabaseDouble) -> None:
    api = _api(fresh)
    fresh.inject(Fault(path=r"^/api/health$", kind="delay", seconds=0.3))
    started = time.monotonic()
    assert api.get("/api/health").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        Fault(kind="explode")
    with pytest.raises(ValueError):
        Fault(kind="delay", apply_then_fail=True)


def test_request_log_and_write_requests(fresh: MetabaseDouble, tmp_path) -> None:
    api = _api(fresh)
    session = Api(fresh.url).ok(
        "POST", "/api/session", {"username": fresh.admin_email, "password": fresh.admin_password}
    )
    assert session["id"]
    api.ok("POST", "/api/collection", {"name": "Logged"})
    api.get("/api/collection", params={"archived": "false"})
    api.post("/api/dataset", {"database": 1, "type": "native", "native": {"query": "select 1"}})
    records = fresh.requests
    assert [(r.method, r.path) for r in records] == [
        ("POST", "/api/session"),
        ("POST", "/api/collection"),
        ("GET", "/api/collection"),
        ("POST", "/api/dataset"),
    ]
    assert records[1].body == {"name": "Logged"} and records[1].status == 200
    assert records[2].query == {"archived": "false"}
    assert [(r.method, r.path) for r in fresh.write_requests()] == [("POST", "/api/collection")]
    lines = (tmp_path / "requests.jsonl").read_text().splitlines()
    assert [json.loads(line)["path"] for line in lines] == [r.path for r in records]
    fresh.clear_requests()
    assert fresh.requests == []
