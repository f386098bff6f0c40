"""What a publish run did (or, with --plan, would do): per kind, created / updated / unchanged /
archived, the request counts and the dashboard URLs. Printed, and written as JSON under target/."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

_logger = logging.getLogger(__name__)

ACTIONS = ("created", "updated", "unchanged", "archived")


@dataclass(frozen=True)
class Change:
    kind: str
    key: str
    action: str
    detail: str = ""


@dataclass
class Summary:
    plan: bool = False
    changes: list[Change] = field(default_factory=list)
    requests: int = 0
    write_requests: int = 0
    dashboard_urls: dict[str, str] = field(default_factory=dict)
    metabase_version: str = ""
    notes: list[str] = field(default_factory=list)

    def record(self, kind: str, key: str, action: str, detail: str = "") -> None:
        assert action in ACTIONS, action
        self.changes.append(Change(kind, key, action, detail))
        if action != "unchanged":
            verb = f"would be {action}" if self.plan else action
            _logger.info("%s %s %s%s", kind, key, verb, f" ({detail})" if detail else "")

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
        if self.plan:
            for change in self.changes:
                if change.action != "unchanged":
                    lines.append(
                        f"  would be {change.action}: {change.kind} {change.key}"
                        + (f" ({change.detail})" if change.detail else "")
                    )
        lines.append(f"requests: {self.requests} ({self.write_requests} writes)")
        for name, url in sorted(self.dashboard_urls.items()):
            lines.append(f"dashboard {name}: {url}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_json(self) -> dict:
        data = asdict(self)
        data["counts"] = self.counts()
        data["pending"] = self.pending
        return data

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")
        return path
