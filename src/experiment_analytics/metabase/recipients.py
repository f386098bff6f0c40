"""Channels of alerts and subscriptions, resolved and checked before anything is written.

`${VAR}` / `${VAR:-default}` placeholders are expanded from the environment (a value may hold
several recipients separated by commas); each email address is checked with the
`email-validator` library (syntax only, no DNS) and each Slack channel must be `#name` as
Metabase's Slack integration expects. A problem names the file and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from experiment_analytics.metabase.spec import PublisherConfig, expand_env

# Slack channel names: lowercase letters, digits, '-', '_' and '.', at most 80 characters.
SLACK_CHANNEL = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class ResolvedChannel:
    key: str
    type: str  # email | slack
    values: tuple[str, ...]  # email addresses, or the one Slack channel


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def resolve_channels(
    config: PublisherConfig, environ: dict[str, str] | None = None
) -> tuple[dict[str, ResolvedChannel], list[str]]:
    """(channel key -> resolved channel, problems)."""
    resolved: dict[str, ResolvedChannel] = {}
    problems: list[str] = []
    for key, channel in config.channels.items():
        raw = (
            [(f"recipients[{i}]", value) for i, value in enumerate(channel.recipients)]
            if channel.type == "email"
            else [("channel", channel.channel or "")]
        )
        values: list[str] = []
        for field, value in raw:
            where = f"{config.path}: channels.{key}.{field}"
            try:
                expanded = expand_env(value, environ)
            except KeyError as exc:
                problems.append(
                    f"{where}: environment variable {exc.args[0]} is not set (used as "
                    f"{value!r}); set it or give a default: ${{{exc.args[0]}:-...}}"
                )
                continue
            parts = _split(expanded)
            if not parts:
                problems.append(f"{where}: {value!r} is empty after expanding the environment")
            for part in parts:
                if channel.type == "email":
                    try:
                        validate_email(part, check_deliverability=False)
                    except EmailNotValidError as exc:
                        problems.append(f"{where}: {part!r} is not an email address: {exc}")
                        continue
                elif not SLACK_CHANNEL.match(part):
                    problems.append(
                        f"{where}: {part!r} is not a Slack channel: write it as '#name' "
                        "(lowercase letters, digits, '-', '_', '.')"
                    )
                    continue
                values.append(part)
        if channel.type == "slack" and len(values) > 1:
            problems.append(f"{config.path}: channels.{key}.channel: one Slack channel per entry")
        resolved[key] = ResolvedChannel(key, channel.type, tuple(values))
    return resolved, problems
