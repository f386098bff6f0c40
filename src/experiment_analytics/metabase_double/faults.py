"""Injected faults: make chosen requests fail, hang or drop, to test a client's convergence.

A fault is given in Python (`Fault(...)`) or as text, the same fields as `key=value` words
(`parse_fault("method=WRITE skip=4 kind=halt")`), which is how the command line
(`--fault`) and the control route (`POST /_double/faults`) take them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, fields

from experiment_analytics.metabase_double.records import is_write

FAULT_KINDS = ("status", "delay", "drop", "halt")
ANY_WRITE = "WRITE"


@dataclass
class Fault:
    """A fault for requests whose method equals `method` (None = any; "WRITE" = any request
    that changes state) and whose path matches the regex `path` (re.search).

    kind "status": answer `status` without applying the request (429 adds Retry-After: 0);
    kind "delay": sleep `seconds`, then serve normally;
    kind "drop": close the connection without an answer;
    kind "halt": apply the request, then drop it and every later request until the faults are
    cleared — what the server sees when the client is killed right after that write.
    `apply_then_fail`: apply the request first, then fail (status/drop: a half-failure; delay:
    the answer comes `seconds` after the write was applied — a client timeout after apply).
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
        if self.times < 1 or self.skip < 0:
            raise ValueError("Fault needs times >= 1 and skip >= 0")
        if self.seconds < 0:
            raise ValueError("Fault needs seconds >= 0")
        if self.kind == "halt":
            self.apply_then_fail = True
        re.compile(self.path)

    @property
    def fired(self) -> int:
        """How many requests this fault has hit so far."""
        return self._fired

    def describe(self) -> str:
        """The fault as `parse_fault` reads it."""
        words = [f"kind={self.kind}"]
        if self.method is not None:
            words.append(f"method={self.method}")
        words.append(f"path={self.path}")
        if self.kind == "status":
            words.append(f"status={self.status}")
        if self.kind == "delay":
            words.append(f"seconds={self.seconds:g}")
        words += [f"skip={self.skip}", f"times={self.times}"]
        if self.apply_then_fail and self.kind != "halt":
            words.append("apply_then_fail")
        return " ".join(words)

    def _claim(self, method: str, path: str) -> bool:
        if self.method == ANY_WRITE:
            if not is_write(method, path):
                return False
        elif self.method is not None and self.method.upper() != method:
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


_FIELDS = {f.name: f for f in fields(Fault) if not f.name.startswith("_")}


def parse_fault(text: str) -> Fault:
    """`"method=POST path=^/api/card$ kind=status status=503 skip=2"` -> Fault.

    Words are `key=value` with the keys of `Fault`; a bare `apply_then_fail` means true.
    Raises ValueError naming the word that is wrong."""
    values: dict[str, object] = {}
    for word in text.split():
        key, sep, raw = word.partition("=")
        key = key.replace("-", "_")
        if key not in _FIELDS:
            raise ValueError(
                f"unknown fault field {key!r} in {text!r}; fields: {', '.join(_FIELDS)}"
            )
        if key == "apply_then_fail":
            if sep and raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"apply_then_fail takes true|false, got {raw!r}")
            values[key] = not sep or raw.lower() in ("true", "1", "yes")
            continue
        if not sep:
            raise ValueError(f"fault field {key!r} needs a value ({key}=...) in {text!r}")
        try:
            if key in ("status", "times", "skip"):
                values[key] = int(raw)
            elif key == "seconds":
                values[key] = float(raw)
            elif key == "method":
                values[key] = raw.upper()
            else:
                values[key] = raw
        except ValueError:
            raise ValueError(f"fault field {key!r} needs a number, got {raw!r}") from None
    try:
        return Fault(**values)  # type: ignore[arg-type]
    except (ValueError, re.error) as exc:
        raise ValueError(f"bad fault {text!r}: {exc}") from None


class FaultPlan:
    """The faults in force; thread-safe. The first fault that claims a request wins.
    After a "halt" fault fired, every request is dropped until `clear()`."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._halted = threading.Event()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
        self._halted.clear()

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def halt(self) -> None:
        self._halted.set()

    @property
    def halted(self) -> bool:
        return self._halted.is_set()

    def match(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault._claim(method, path):
                    return fault
        return None
