"""Quartz cron expressions, as Metabase's scheduler (Quartz) reads them, checked before any write.

No well-kept Python library parses Quartz's dialect (croniter and friends read Unix cron, where
`*/5 * * * *` is valid and `?`, `L`, `W`, `#` are not), so this is a complete parser of Quartz's
grammar (org.quartz.CronExpression):

    seconds minutes hours day-of-month month day-of-week [year]

- seconds, minutes 0-59; hours 0-23; day-of-month 1-31; month 1-12 or JAN-DEC;
  day-of-week 1-7 (1 = Sunday) or SUN-SAT; year 1970-2099 (optional field);
- items: `*`, `N`, `N-M` (a range may wrap, e.g. `22-2`), each optionally `/increment`
  (`*/5`, `0/15`, `10-50/5`, `/5` = `0/5`), separated by commas;
- the increment must fit the field (`0 0/75 * * * ?` is refused: minutes step at most 59);
- exactly one of day-of-month and day-of-week is `?` (Quartz supports neither both nor none);
- day-of-month also takes `L`, `L-n`, `LW`, `nW`; day-of-week takes `L`, `nL`, `n#k` (k 1-5);
  these stand alone (Quartz does not combine them with other values of the field).
"""

from __future__ import annotations

import re

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# name, lowest, highest, names (value = index + lowest)
_FIELDS = (
    ("seconds", 0, 59, ()),
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2099, ()),
)
# Quartz's largest increment per field (CronExpression: "Increment > 60" and so on).
_MAX_STEP = {0: 59, 1: 59, 2: 23, 3: 31, 4: 12, 5: 7}
_RANGE = re.compile(r"^(?P<start>[A-Z0-9]+)(?:-(?P<end>[A-Z0-9]+))?$")


class CronError(ValueError):
    """The expression is not a Quartz cron expression; the message says why."""


def _value(text: str, field: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text in names:
        return names.index(text) + low
    if not text.isdigit():
        allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
        raise CronError(f"{field}: {text!r} is not a value ({allowed})")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{field}: {value} is outside {low}-{high}")
    return value


def _item(text: str, index: int) -> None:
    field, low, high, names = _FIELDS[index]
    base, slash, step = text.partition("/")
    if slash:
        if not step.isdigit() or int(step) < 1:
            raise CronError(f"{field}: increment {step!r} in {text!r} must be a positive number")
        if index in _MAX_STEP and int(step) > _MAX_STEP[index]:
            raise CronError(
                f"{field}: increment {step} in {text!r} is larger than the field allows "
                f"(at most {_MAX_STEP[index]})"
            )
        if base == "":
            return
    if base == "*":
        return
    match = _RANGE.match(base)
    if not match:
        raise CronError(f"{field}: cannot read {text!r}")
    _value(match.group("start"), field, low, high, names)
    if match.group("end") is not None:
        _value(match.group("end"), field, low, high, names)


def _special(text: str, index: int) -> bool:
    """True for the stand-alone forms of day-of-month (L, L-n, LW, nW) and day-of-week
    (L, nL, n#k); raises CronError on a malformed one."""
    field = _FIELDS[index][0]
    if index == 3:
        if text in {"L", "LW"}:
            return True
        if match := re.fullmatch(r"L-(\d+)", text):
            if not 0 <= int(match.group(1)) <= 30:
                raise CronError(f"{field}: offset in {text!r} must be 0-30")
            return True
        if match := re.fullmatch(r"(\d+)W", text):
            _value(match.group(1), field, 1, 31, ())
            return True
    if index == 5:
        if text == "L":
            return True
        if match := re.fullmatch(r"([A-Z0-9]+)L", text):
            _value(match.group(1), field, 1, 7, _DAYS)
            return True
        if match := re.fullmatch(r"([A-Z0-9]+)#(\d+)", text):
            _value(match.group(1), field, 1, 7, _DAYS)
            if not 1 <= int(match.group(2)) <= 5:
                raise CronError(f"{field}: the week in {text!r} must be 1-5")
            return True
    return False


def validate_quartz_cron(expression: str) -> None:
    """Raise CronError unless `expression` is a valid Quartz cron expression."""
    if not isinstance(expression, str) or not expression.strip():
        raise CronError("empty cron expression")
    parts = expression.strip().upper().split()
    if len(parts) not in (6, 7):
        raise CronError(
            f"{len(parts)} fields; Quartz cron has 6 or 7: seconds minutes hours day-of-month "
            "month day-of-week [year] (e.g. '0 0/15 * * * ?' = every 15 minutes)"
        )
    for index, part in enumerate(parts):
        field = _FIELDS[index][0]
        if part == "?":
            if index not in (3, 5):
                raise CronError(f"{field}: '?' is allowed only in day-of-month or day-of-week")
            continue
        items = part.split(",")
        if any(item == "" for item in items):
            raise CronError(f"{field}: empty item in {part!r}")
        specials = [item for item in items if _special(item, index)]
        if specials and len(items) > 1:
            raise CronError(f"{field}: {specials[0]!r} cannot be combined with other values")
        for item in items:
            if item not in specials:
                _item(item, index)
    day_of_month, day_of_week = parts[3], parts[5]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise CronError(
            "exactly one of day-of-month and day-of-week must be '?' "
            f"(got {day_of_month!r} and {day_of_week!r})"
        )
