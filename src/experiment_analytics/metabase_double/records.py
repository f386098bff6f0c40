"""The request log: every request the double answered, in memory and optionally as JSON lines."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Requests that POST but change no state.
_READ_ONLY_POSTS = (
    re.compile(r"^/api/session/?$"),
    re.compile(r"^/api/card/[^/]+/query(/.*)?$"),
    re.compile(r"^/api/dataset(/.*)?$"),
)


def is_write(method: str, path: str) -> bool:
    """Whether a request changes state (POSTs that only read, like running a query, do not)."""
    if method not in ("POST", "PUT", "DELETE"):
        return False
    return not (method == "POST" and any(p.match(path) for p in _READ_ONLY_POSTS))


@dataclass(frozen=True)
class RequestRecord:
    """One request: its method, path, query (name -> value, or list when repeated),
    the answer's status (None when the connection was dropped) and the parsed JSON body."""

    method: str
    path: str
    query: dict[str, Any]
    status: int | None
    body: Any

    @property
    def is_write(self) -> bool:
        return is_write(self.method, self.path)


class RequestLog:
    def __init__(self, path: Path | None = None) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._path = Path(path) if path is not None else None

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(asdict(record), default=str) + "\n")

    def all(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
