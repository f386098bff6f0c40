"""Injected faults (status, delay, drop; skip/times; apply_then_fail) and the request log."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
import requests

from experiment_analytics.metabase_double import Fault, MetabaseDouble
from experiment_analytics.metabase_double.faults import parse_fault
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
        Fault(times=0)
    with pytest.raises(ValueError):
        Fault(kind="delay", seconds=-1)


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


# ---- faults for "killed after a write" and "timeout after apply"; faults as text -------------
def test_write_method_counts_only_requests_that_change_state(fresh: MetabaseDouble) -> None:
    api = _api(fresh)
    fault = fresh.inject(Fault(method="WRITE", skip=2, status=500))
    api.ok("POST", "/api/collection", {"name": "W1"})
    api.ok("GET", "/api/collection")
    query = {"database": 1, "type": "native", "native": {"query": "select 1"}}
    assert api.post("/api/dataset", query).status_code != 500  # runs a query: not a write
    api.ok("POST", "/api/collection", {"name": "W2"})
    assert api.post("/api/collection", {"name": "W3"}).status_code == 500
    assert fault.fired == 1 and "W3" not in _names(api)


def test_delay_after_apply_times_the_client_out_but_the_write_is_made(
    fresh: MetabaseDouble,
) -> None:
    fresh.inject(
        Fault(
            method="POST",
            path=r"^/api/collection$",
            kind="delay",
            seconds=1.0,
            apply_then_fail=True,
        )
    )
    with pytest.raises(requests.Timeout):
        requests.post(
            fresh.url + "/api/collection",
            json={"name": "Slow"},
            headers={"X-API-KEY": fresh.api_key},
            timeout=0.2,
        )
    assert "Slow" in _names(_api(fresh))


def test_halt_applies_the_write_then_drops_everything_until_cleared(
    fresh: MetabaseDouble,
) -> None:
    api = _api(fresh)
    fresh.inject(Fault(method="WRITE", skip=1, kind="halt"))
    api.ok("POST", "/api/collection", {"name": "Before"})
    with pytest.raises(requests.ConnectionError):
        api.post("/api/collection", {"name": "Last write"})
    assert fresh.halted
    with pytest.raises(requests.ConnectionError):
        api.get("/api/collection")
    fresh.clear_faults()
    assert not fresh.halted
    assert {"Before", "Last write"} <= set(_names(api))


def test_faults_parse_from_text_and_describe_themselves() -> None:
    fault = parse_fault("method=post path=^/api/card$ kind=drop skip=2 times=3 apply_then_fail")
    assert fault == Fault(
        method="POST", path="^/api/card$", kind="drop", skip=2, times=3, apply_then_fail=True
    )
    assert parse_fault(fault.describe()) == fault
    assert parse_fault("kind=delay seconds=1.5").seconds == 1.5
    for bad, said in [
        ("colour=red", "unknown fault field 'colour'"),
        ("status=abc", "needs a number"),
        ("kind=explode", "kind must be one of"),
        ("path=(", "bad fault"),
        ("skip", "needs a value"),
    ]:
        with pytest.raises(ValueError, match=re.escape(said)):
            parse_fault(bad)


def test_command_line_faults_and_the_control_route(tmp_path) -> None:
    command = [
        sys.executable,
        "-m",
        "experiment_analytics.metabase_double",
        "--no-warehouse",
        "--port",
        "0",
        "--sync-delay",
        "0",
        "--fault",
        "method=WRITE skip=1 kind=status status=503",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        started = re.search(r"at (http://\S+)", first_line)
        assert started, f"the double did not start: {first_line!r}"
        url = started.group(1)
        api = Api(url, {"X-API-KEY": "mb_double_test_key"})
        assert api.post("/api/collection", {"name": "CLI one"}).status_code == 200
        assert api.post("/api/collection", {"name": "CLI two"}).status_code == 503
        listed = api.ok("GET", "/_double/faults")
        assert listed["faults"][0]["fired"] == 1 and "status=503" in listed["faults"][0]["fault"]
        added = api.post("/_double/faults", {"fault": "method=GET path=^/api/card$ status=418"})
        assert added.status_code == 200
        assert api.get("/api/card").status_code == 418
        bad = api.post("/_double/faults", {"fault": "kind=explode"})
        assert bad.status_code == 400 and "kind" in bad.json()["errors"]["fault"]
        assert api.delete("/_double/faults").status_code == 204
        assert api.ok("GET", "/_double/faults")["faults"] == []
        assert api.post("/api/collection", {"name": "CLI three"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    rejected = subprocess.run(
        [*command[:3], "--fault", "kind=explode"], capture_output=True, text=True, timeout=60
    )
    assert rejected.returncode == 2 and "kind must be one of" in rejected.stderr
