"""The HTTP server of the Metabase double and its Python API (`MetabaseDouble`)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from experiment_analytics.dbt import PROJECT_DIR
from experiment_analytics.metabase_double import (  # noqa: F401  (they register their routes)
    api_alerts,
    api_collections,
    api_content,
    api_core,
    api_dashboards,
    api_permissions,
    api_search,
    web_preview,
)
from experiment_analytics.metabase_double.errors import ApiError, no_endpoint, unauthenticated
from experiment_analytics.metabase_double.faults import Fault, FaultPlan, parse_fault
from experiment_analytics.metabase_double.records import RequestLog, RequestRecord
from experiment_analytics.metabase_double.routing import Request, Response, resolve
from experiment_analytics.metabase_double.state import State
from experiment_analytics.metabase_double.sync import sync_now
from experiment_analytics.warehouse import ConnectionSettings

_logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_double/"
DEFAULT_PREVIEW_DIR = PROJECT_DIR / "target" / "preview"


@dataclass
class _Outcome:
    status: int | None
    body: Any
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    double: MetabaseDouble


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm each answer would wait
    # for the client's delayed ACK (~40 ms per request on Linux).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        _logger.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        double = self.server.double
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        body_error = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body_error = True
        if path.startswith(CONTROL_PREFIX):
            self._send(self._control(double, method, path, body, body_error))
            return
        outcome = self._serve_with_faults(double, method, path, query, body, body_error)
        flat_query = {k: v[0] if len(v) == 1 else v for k, v in query.items()}
        double._log.append(RequestRecord(method, path, flat_query, outcome.status, body))
        if outcome.status is None:
            self._drop()
        else:
            self._send(outcome)

    def _serve_with_faults(
        self,
        double: MetabaseDouble,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        body_error: bool,
    ) -> _Outcome:
        def serve() -> _Outcome:
            if body_error:
                return _Outcome(400, {"message": "Malformed JSON in request body."}, {})
            return self._dispatch(double, method, path, query, body)

        if double._faults.halted:
            return _Outcome(None, None, {})
        fault = double._faults.match(method, path)
        if fault is None:
            return serve()
        if fault.kind == "delay":
            if not fault.apply_then_fail:
                time.sleep(fault.seconds)
                return serve()
            outcome = serve()
            time.sleep(fault.seconds)
            return outcome
        if fault.kind == "halt":
            serve()
            double._faults.halt()
            _logger.info("halted after %s %s (fault: %s)", method, path, fault.describe())
            return _Outcome(None, None, {})
        if fault.apply_then_fail:
            serve()
        return self._fail(fault)

    def _control(
        self, double: MetabaseDouble, method: str, path: str, body: Any, body_error: bool
    ) -> _Outcome:
        """The double's own routes (not Metabase's, never logged nor faulted):
        GET /_double/faults lists the faults, POST adds one ({"fault": "<words>"}),
        DELETE clears them all (and ends a halt)."""
        if path != CONTROL_PREFIX + "faults":
            return _Outcome(404, "API endpoint does not exist.", {})
        if method == "GET":
            faults = [{"fault": f.describe(), "fired": f.fired} for f in double._faults.all()]
            return _Outcome(200, {"faults": faults, "halted": double._faults.halted}, {})
        if method == "DELETE":
            double.clear_faults()
            return _Outcome(204, None, {})
        if method == "POST":
            text = body.get("fault") if isinstance(body, dict) and not body_error else None
            if not isinstance(text, str):
                return _Outcome(400, {"errors": {"fault": 'send {"fault": "<key=value ...>"}'}}, {})
            try:
                fault = double.inject(parse_fault(text))
            except ValueError as exc:
                return _Outcome(400, {"errors": {"fault": str(exc)}}, {})
            return _Outcome(200, {"fault": fault.describe()}, {})
        return _Outcome(404, "API endpoint does not exist.", {})

    def _fail(self, fault: Fault) -> _Outcome:
        if fault.kind == "drop":
            return _Outcome(None, None, {})
        headers = {"Retry-After": "0"} if fault.status == 429 else {}
        return _Outcome(fault.status, {"message": f"Injected fault (HTTP {fault.status})"}, headers)

    def _dispatch(
        self,
        double: MetabaseDouble,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
    ) -> _Outcome:
        state = double.state
        try:
            found = resolve(method, path, state.feature_level[0])
            if found is None:
                raise no_endpoint()
            route, params = found
            user = self._authenticate(state)
            if route.auth and user is None:
                raise unauthenticated()
            request = Request(
                state, method, path, params, query, body, user, double.sync_delay_seconds
            )
            if route.locked:
                with state.lock:
                    result = route.handler(request)
            else:
                result = route.handler(request)
            if isinstance(result, Response):
                return _Outcome(result.status, result.body, result.headers)
            return _Outcome(route.status, result, {})
        except ApiError as error:
            return _Outcome(error.status, error.body, error.headers)
        except Exception as exc:  # an unexpected bug answers 500, like a server would
            _logger.exception("double failed on %s %s", method, path)
            return _Outcome(500, {"message": f"{type(exc).__name__}: {exc}"}, {})

    def _authenticate(self, state: State) -> dict[str, Any] | None:
        api_key = self.headers.get("X-API-KEY")
        token = self.headers.get("X-Metabase-Session")
        with state.lock:
            if api_key and api_key == state.api_key:
                return state.users[1]
            if token and token in state.sessions:
                user = state.users.get(state.sessions[token])
                return user if user and user["is_active"] else None
        return None

    def _send(self, outcome: _Outcome) -> None:
        assert outcome.status is not None
        if outcome.status == 204 or (outcome.body is None and outcome.status < 300):
            payload, ctype = b"", "application/json"
            if outcome.status != 204:
                payload = b"null"
        elif isinstance(outcome.body, bytes):
            payload, ctype = outcome.body, "application/octet-stream"
        elif isinstance(outcome.body, str):
            payload, ctype = outcome.body.encode(), "text/plain; charset=utf-8"
        else:
            payload = json.dumps(outcome.body, default=str).encode()
            ctype = "application/json;charset=utf-8"
        headers = dict(outcome.headers)
        self.send_response(outcome.status)
        self.send_header("Content-Type", headers.pop("Content-Type", ctype))
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class MetabaseDouble:
    """A stateful stand-in for Metabase's REST API on 127.0.0.1. See the package docstring."""

    def __init__(
        self,
        warehouse: ConnectionSettings | None = None,
        database_name: str = "Experiments",
        host: str = "127.0.0.1",
        port: int = 0,
        version: str = "v0.57.6",
        admin_email: str = "admin@example.com",
        admin_password: str = "admin-password-1",
        api_key: str = "mb_double_test_key",
        sync_delay_seconds: float = 0.2,
        request_log_path: str | Path | None = None,
        tenants: bool = False,
        preview_dir: str | Path | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.database_name = database_name
        self.host = host
        self.port = port
        self.version = version
        self.admin_email = admin_email
        self.admin_password = admin_password
        self.api_key = api_key
        self.sync_delay_seconds = sync_delay_seconds
        self.state = State(
            version=version,
            admin_email=admin_email,
            admin_password=admin_password,
            api_key=api_key,
            tenants=tenants,
        )
        # Where `experiment-analytics preview` wrote the pages served at /dashboard/<id>.
        self.state.preview_dir = Path(preview_dir) if preview_dir else DEFAULT_PREVIEW_DIR
        self._faults = FaultPlan()
        self._log = RequestLog(Path(request_log_path) if request_log_path else None)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.database_id: int | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> MetabaseDouble:
        if self._server is not None:
            return self
        if self.warehouse is not None:
            self.database_id = api_core.register_warehouse(
                self.state, self.database_name, self.warehouse
            )
            sync_now(self.state, self.database_id)
        self._server = _Server((self.host, self.port), _Handler)
        self._server.double = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="metabase-double",
            daemon=True,
        )
        self._thread.start()
        _logger.info("Metabase double %s serving at %s", self.version, self.url)
        return self

    def stop(self) -> None:
        self.state.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MetabaseDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- requests and faults ---------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        return self._log.all()

    def write_requests(self) -> list[RequestRecord]:
        return [r for r in self._log.all() if r.is_write]

    def clear_requests(self) -> None:
        self._log.clear()

    def inject(self, fault: Fault) -> Fault:
        return self._faults.add(fault)

    def clear_faults(self) -> None:
        """Remove every fault and end a halt."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        return self._faults.all()

    def scheduled_triggers(self) -> dict[int, list[str]]:
        """notification id -> the cron schedules that would fire (empty while inactive)."""
        with self.state.lock:
            return {k: list(v) for k, v in self.state.triggers.items() if v}

    @property
    def halted(self) -> bool:
        """True after a "halt" fault fired, until `clear_faults()`."""
        return self._faults.halted
