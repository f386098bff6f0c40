"""Injected faults: make chosen requests fail, hang or drop, to test a client's convergence."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

FAULT_KINDS = ("status", "delay", "drop")


@dataclass
class Fault:
    """A fault for requests whose method equals `method` (None = any) and whose path matches
    the regex `path` (re.search).

    kind "status": answer `status` without applying the request (429 adds Retry-After: 0);
    kind "delay": sleep `seconds`, then serve normally;
    kind "drop": close the connection without an answer.
    `apply_then_fail` (status/drop): apply the request first, then fail (a half-failure).
    `skip`: let that many matching requests through first; `times`: how many to fault.
    """

    method: str | None = None
    path: str = ".*"
    kind: str = "status"
    status: int = 500
    times: int = 1
    skip: int = 0
    seconds: float = 0.0
    apply_then_fail: bool = False
    _seen: int = field(default=0, repr=False, compare=False)
    _fired: int = field(default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Fault kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        if self.apply_then_fail and self.kind == "delay":
            raise ValueError("apply_then_fail applies only to kinds 'status' and 'drop'")
        if self.times < 1 or self.skip < 0:
            raise ValueError("Fault needs times >= 1 and skip >= 0")
        re.compile(self.path)

    @property
    def fired(self) -> int:
        """How many requests this fault has hit so far."""
        return self._fired

    def _claim(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if not re.search(self.path, path):
            return False
        if self._fired >= self.times:
            return False
        self._seen += 1
        if self._seen <= self.skip:
            return False
        self._fired += 1
        return True


class FaultPlan:
    """The faults in force; thread-safe. The first fault that claims a request wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def match(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault._claim(method, path):
                    return fault
        return None
