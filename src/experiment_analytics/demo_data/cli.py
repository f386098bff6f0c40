"""`experiment-analytics demo generate`: the command-line face of the demo data generator."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime

from experiment_analytics.demo_data.generator import (
    DemoDataError,
    append_days,
    default_end_at,
    generate,
)
from experiment_analytics.warehouse import ConnectionSettings

_logger = logging.getLogger(__name__)


def parse_end_at(text: str) -> datetime:
    """An ISO 8601 timestamp; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise DemoDataError(
            f"--end-at must be an ISO 8601 timestamp such as 2026-11-20T12:00:00Z, got {text!r}"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _generate(args: argparse.Namespace) -> None:
    settings = ConnectionSettings.from_env()
    end_at = parse_end_at(args.end_at) if args.end_at else default_end_at()
    if args.append_day_events is not None and not args.append_days:
        raise DemoDataError("--append-day-events goes with --append-days")
    if args.append_days:
        if not args.end_at:
            raise DemoDataError("--append-days needs the --end-at the data set was generated with")
        result = append_days(
            settings,
            events=args.events,
            seed=args.seed,
            end_at=end_at,
            days=args.append_days,
            day_events=args.append_day_events,
            allow_other_server=args.allow_other_server,
        )
        print(
            f"appended {result.events:,} events; "
            f"the data now ends at {result.end_at:%Y-%m-%d %H:%M}Z"
        )
        return
    result = generate(
        settings,
        events=args.events,
        seed=args.seed,
        end_at=end_at,
        replace=args.replace,
        allow_other_server=args.allow_other_server,
    )
    print(
        f"loaded {result.events:,} events ({result.generations:,} generations, "
        f"{result.assignments:,} assignments, {result.metric_aggregates:,} metric aggregates) "
        f"ending {result.end_at:%Y-%m-%d %H:%M}Z into {settings.describe()} "
        f"in {result.seconds:.1f} s"
    )


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="the demo data set")
    actions = demo.add_subparsers(dest="demo_action", required=True)
    gen = actions.add_parser(
        "generate",
        help="load a seeded, realistic month of experiment logs into exp",
        description="Load about N events over the 30 days before --end-at into the exp tables.",
    )
    gen.add_argument(
        "--events", type=int, default=200_000, help="about how many events (%(default)s)"
    )
    gen.add_argument("--seed", type=int, default=42, help="random seed (%(default)s)")
    gen.add_argument("--replace", action="store_true", help="truncate the exp tables first")
    gen.add_argument(
        "--end-at",
        help="end of the data (ISO 8601, UTC if no offset; default: now truncated to the hour)",
    )
    gen.add_argument(
        "--append-days",
        type=int,
        default=0,
        help="instead of generating: add this many days after --end-at to the data set made "
        "with the same --events/--seed/--end-at (late events included)",
    )
    gen.add_argument(
        "--append-day-events",
        type=int,
        help="with --append-days: about this many events on each new day (default: the data "
        "set's own daily rate, --events / 30)",
    )
    gen.add_argument(
        "--allow-other-server",
        action="store_true",
        help="also write (and with --replace truncate) on a PostgreSQL this project did not "
        "start; without it such a server is refused, since it may be your own warehouse",
    )
    gen.set_defaults(handler=_generate)
