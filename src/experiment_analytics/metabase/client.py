"""HTTP access to Metabase: requests Sessions with timeouts and urllib3 Retry.

Retry policy: GET and PUT are retried on 429, 5xx and read errors (a PUT carries the full object,
so repeating it is harmless). Requests that must not be repeated blindly (`once=True`: every POST,
and the revision-checked permission-graph PUTs) go through a second session that retries only a
connection that was refused before anything was sent; after a lost answer the caller re-reads and
decides (see `publishers.base.Step.create` and `publishers.access`). A refused connection fails
within about a second (two quick connect retries), not after a long backoff.
Secrets (API key, session id, passwords) never reach log lines or error messages: whole tokens
are redacted, never substrings of other words.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from experiment_analytics.metabase.errors import MetabaseApiError

_logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
_VERSION_PATTERN = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass
class RequestStats:
    total: int = 0
    writes: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def count(self, method: str) -> None:
        self.total += 1
        self.by_method[method] = self.by_method.get(method, 0) + 1
        if method in WRITE_METHODS:
            self.writes += 1


CONNECT_RETRIES = 2


def make_retry(total: int = 5, backoff: float = 0.5) -> Retry:
    return Retry(
        total=total,
        connect=CONNECT_RETRIES,
        read=total,
        status=total,
        backoff_factor=backoff,
        backoff_max=8,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def _connect_only_retry() -> Retry:
    """For requests that may not be repeated once sent: only a refused connection is retried."""
    return Retry(
        total=CONNECT_RETRIES,
        connect=CONNECT_RETRIES,
        read=0,
        status=0,
        other=0,
        backoff_factor=0.2,
        allowed_methods=None,
        raise_on_status=False,
    )


def parse_version(tag: str) -> tuple[int, int, int]:
    """'v0.57.6' or 'v1.57.6' (enterprise) -> (0, 57, 6); the minor number is the release."""
    match = _VERSION_PATTERN.search(tag or "")
    if not match:
        raise ValueError(f"cannot read a Metabase version from {tag!r}")
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


class MetabaseClient:
    """A thin JSON client. Every call is counted in `stats` (writes: POST/PUT/DELETE)."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        retry: Retry | None = None,
        headers: dict[str, str] | None = None,
        verify: bool | str = True,
    ):
        if not url:
            raise MetabaseApiError("no Metabase URL: set METABASE_URL or pass --metabase-url")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.stats = RequestStats()
        self.retry = retry or make_retry()
        self.verify = verify
        self.extra_headers = dict(headers or {})
        self.session = self._session(self.retry)
        self._once = self._session(_connect_only_retry())
        self._secrets = [s for s in (api_key, password) if s]
        if api_key:
            self._set_header("X-API-KEY", api_key)
        elif username and password:
            answer = self.request(
                "POST", "/api/session", {"username": username, "password": password}, what="login"
            )
            token = str(answer["id"])
            self._secrets.append(token)
            self._set_header("X-Metabase-Session", token)
        else:
            raise MetabaseApiError(
                "no Metabase credentials: set METABASE_API_KEY, or METABASE_USERNAME and "
                "METABASE_PASSWORD"
            )

    def _session(self, retry: Retry) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Content-Type": "application/json", **self.extra_headers})
        session.verify = self.verify
        session.mount(self.url, HTTPAdapter(max_retries=retry))
        session.hooks["response"].append(self._count)
        return session

    def add_response_hook(self, hook: Any) -> None:
        """Call `hook(response)` after every answer (both sessions), e.g. to count or stop."""
        for session in (self.session, self._once):
            session.hooks["response"].append(hook)

    def _set_header(self, name: str, value: str) -> None:
        for session in (self.session, self._once):
            session.headers[name] = value

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # A hook sees every attempt, retries included, so the count is what Metabase received.
        self.stats.count(response.request.method or "GET")

    def redact(self, text: str) -> str:
        """Replace each secret where it stands as a whole token (a short secret that happens to
        be part of a word or a path leaves the message readable)."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            pattern = rf"(?<![A-Za-z0-9_\-]){re.escape(secret)}(?![A-Za-z0-9_\-])"
            text = re.sub(pattern, "***", text)
        return text

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        what: str = "",
        expect: tuple[int, ...] = (200, 202, 204),
        once: bool = False,
    ) -> Any:
        """Send one request; return the decoded JSON (None when empty); raise MetabaseApiError.
        `once`: never repeat it after it may have reached Metabase (POST always)."""
        label = what or f"{method} {path}"
        session = self._once if once or method == "POST" else self.session
        try:
            response = session.request(
                method, f"{self.url}{path}", json=body, params=params, timeout=self.timeout
            )
        except requests.ConnectionError as exc:
            refused = "refused" in str(exc).lower() or "NewConnectionError" in repr(exc)
            raise MetabaseApiError(
                self.redact(
                    f"{label}: no answer from Metabase at {self.url} ({type(exc).__name__}: {exc})"
                    + (" (is METABASE_URL right and Metabase running?)" if refused else "")
                ),
                sent=not refused,
            ) from None
        except requests.RequestException as exc:
            raise MetabaseApiError(
                self.redact(
                    f"{label}: no answer from Metabase at {self.url} ({type(exc).__name__}: {exc})"
                )
            ) from None
        if response.status_code not in expect and not 200 <= response.status_code < 300:
            raise MetabaseApiError(
                self.redact(
                    f"{label}: Metabase answered {response.status_code} to {method} {path}: "
                    f"{_error_text(response)}"
                ),
                status=response.status_code,
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def get(self, path: str, *, params: Any = None, what: str = "") -> Any:
        return self.request("GET", path, params=params, what=what)

    def post(self, path: str, body: Any, *, what: str = "") -> Any:
        return self.request("POST", path, body, what=what)

    def put(
        self, path: str, body: Any, *, params: Any = None, what: str = "", once: bool = False
    ) -> Any:
        return self.request("PUT", path, body, params=params, what=what, once=once)


def _error_text(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:500] or response.reason
    if isinstance(data, dict):
        for key in ("errors", "message", "error", "cause"):
            if data.get(key):
                return str(data[key])[:500]
    return str(data)[:500]


def items(answer: Any) -> list[dict[str, Any]]:
    """List endpoints answer either a bare list or {"data": [...]}."""
    if isinstance(answer, dict) and "data" in answer:
        return list(answer["data"])
    return list(answer or [])
