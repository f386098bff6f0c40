"""What a publish run did (or, with --plan, would do): per kind, created / updated / unchanged /
archived, each change once with its old -> new values, the request counts and the dashboard
URLs. Printed, written as JSON under target/, and with `--plan --json` printed as JSON.

Plan format (metabase/README.md, "--plan"): one block per pending change,

    ~ card experiment_overview.active_experiment_count (updated)
        name: 'Active Experiments' -> 'Active Experiments (edited)'

`+` created, `~` updated, `-` archived; the JSON form holds the same list under "changes"
(`kind, key, action, detail, fields: {name: {old, new}}`), unchanged objects left out.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_logger = logging.getLogger(__name__)

ACTIONS = ("created", "updated", "unchanged", "archived")
_SIGN = {"created": "+", "updated": "~", "archived": "-"}
_SHOWN = 100  # characters of an old or new value shown in the text form


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]}..."


@dataclass(frozen=True)
class Change:
    kind: str
    key: str
    action: str
    detail: str = ""
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "action": self.action,
            "detail": self.detail,
            "fields": {name: {"old": old, "new": new} for name, (old, new) in self.fields.items()},
        }

    def render(self) -> list[str]:
        head = f"{_SIGN[self.action]} {self.kind} {self.key} ({self.action})"
        if self.detail:
            head += f": {self.detail}"
        lines = [head]
        for name, (old, new) in self.fields.items():
            lines.append(f"    {name}: {_short(old)} -> {_short(new)}")
        return lines


@dataclass
class Summary:
    plan: bool = False
    changes: list[Change] = field(default_factory=list)
    requests: int = 0
    write_requests: int = 0
    dashboard_urls: dict[str, str] = field(default_factory=dict)
    metabase_version: str = ""
    notes: list[str] = field(default_factory=list)

    def record(
        self,
        kind: str,
        key: str,
        action: str,
        detail: str = "",
        fields: dict[str, tuple[Any, Any]] | None = None,
    ) -> None:
        assert action in ACTIONS, action
        change = Change(kind, key, action, detail, dict(fields or {}))
        self.changes.append(change)
        if action != "unchanged":
            _logger.debug("%s", "\n".join(change.render()))

    @property
    def pending(self) -> bool:
        return any(change.action != "unchanged" for change in self.changes)

    def counts(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for change in self.changes:
            row = table.setdefault(change.kind, dict.fromkeys(ACTIONS, 0))
            row[change.action] += 1
        return table

    def render(self) -> str:
        title = "Plan (nothing was written)" if self.plan else "Published"
        lines = [f"{title}: Metabase {self.metabase_version}".rstrip(": ")]
        lines.append(f"{'kind':<22}" + "".join(f"{a:>11}" for a in ACTIONS))
        for kind, row in sorted(self.counts().items()):
            lines.append(f"{kind:<22}" + "".join(f"{row[a]:>11}" for a in ACTIONS))
        pending = [c for c in self.changes if c.action != "unchanged"]
        if pending:
            lines.append("Pending changes:" if self.plan else "Changes:")
            for change in pending:
                lines.extend(f"  {line}" for line in change.render())
        lines.append(f"requests: {self.requests} ({self.write_requests} writes)")
        for name, url in sorted(self.dashboard_urls.items()):
            lines.append(f"dashboard {name}: {url}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "pending": self.pending,
            "metabase_version": self.metabase_version,
            "counts": self.counts(),
            "changes": [c.to_json() for c in self.changes if c.action != "unchanged"],
            "requests": self.requests,
            "write_requests": self.write_requests,
            "dashboard_urls": self.dashboard_urls,
            "notes": self.notes,
        }

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True, default=str) + "\n")
        return path
