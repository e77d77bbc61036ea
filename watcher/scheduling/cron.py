"""Standard cron expressions, read with cron's meaning and handed to APScheduler 3.x as a trigger.

APScheduler 3.x's `CronTrigger.from_crontab` counts day-of-week 0 as Monday; cron counts it as
Sunday (and 7 as Sunday too). It also ANDs day-of-month with day-of-week, where cron fires when
either matches once both are restricted. So every field is parsed and expanded here, and
APScheduler only ever sees explicit values: weekday *names*, which mean the same to both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.combining import OrTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from watcher.errors import WatcherError

UTC = dt.UTC
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 and 7 = Sunday
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_ITEM = re.compile(r"^(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>\d+))?$")
FORM = "five fields: minute hour day-of-month month day-of-week, e.g. '17 6 * * *'"


class CronError(WatcherError):
    """A cron expression watcher cannot read; the message names the field and the fix."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name: int = 0  # the number the first name stands for


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day-of-week", 0, 7, _WEEKDAYS, 0),
)


def _number(text: str, field: _Field, expr: str) -> int:
    if text.isdigit():
        value = int(text)
    elif text.lower() in field.names:
        value = field.names.index(text.lower()) + field.first_name
    else:
        known = f" (or a name: {', '.join(field.names)})" if field.names else ""
        raise CronError(
            f"--cron {expr!r}: {field.name} {text!r} is not a number{known}; expected {FORM}"
        )
    if not field.low <= value <= field.high:
        raise CronError(
            f"--cron {expr!r}: {field.name} {value} is out of range {field.low}-{field.high}"
        )
    return value


def _expand(text: str, field: _Field, expr: str) -> set[int]:
    """Every value a field allows: lists, ranges, steps and names, as cron reads them."""
    values: set[int] = set()
    for item in text.split(","):
        match = _ITEM.match(item)
        if not match:
            raise CronError(
                f"--cron {expr!r}: {field.name} {item!r} is not cron syntax "
                "(use *, N, N-M, */S, N-M/S or a comma-separated list of those)"
            )
        span, step = match["range"], int(match["step"] or 1)
        if step == 0:
            raise CronError(f"--cron {expr!r}: {field.name} step must be at least 1")
        if span == "*":
            first, last = field.low, field.high
        elif "-" in span:
            first, last = (_number(part, field, expr) for part in span.split("-"))
            if first > last:
                raise CronError(
                    f"--cron {expr!r}: {field.name} range {span!r} runs backwards; write it low-high"
                )
        else:
            first = _number(span, field, expr)
            last = field.high if match["step"] else first  # N/S: from N to the end
        values.update(range(first, last + 1, step))
    return values


def _spell(values: set[int], field: _Field) -> str:
    if field.names == _WEEKDAYS:
        return ",".join(_WEEKDAYS[v % 7] for v in sorted({v % 7 for v in values}))
    return ",".join(str(v) for v in sorted(values))


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression and the APScheduler trigger that fires at the same instants."""

    expr: str
    trigger: BaseTrigger

    def fire_times(self, start: dt.datetime) -> Iterator[dt.datetime]:
        """Fire times strictly after `start`, in UTC."""
        previous: dt.datetime | None = None
        now = start.astimezone(UTC)
        while True:
            when = self.trigger.get_next_fire_time(previous, now)
            if when is None:
                return
            yield when.astimezone(UTC)
            previous = now = when

    def next_after(self, start: dt.datetime) -> dt.datetime | None:
        return next(self.fire_times(start), None)


def parse_cron(expr: str) -> CronSchedule:
    """Read `expr` with standard cron meaning, in UTC; raise CronError naming what is wrong."""
    text = _MACROS.get(expr.strip().lower(), expr.strip())
    if text.startswith("@"):
        known = ", ".join(_MACROS)
        raise CronError(f"--cron {expr!r}: unknown shorthand (known: {known})")
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"--cron {expr!r}: has {len(parts)} field(s); expected {FORM}")
    spelled = [
        _spell(_expand(part, field, expr), field)
        for part, field in zip(parts, _FIELDS, strict=True)
    ]
    minute, hour, day, month, weekday = spelled
    common = {"minute": minute, "hour": hour, "month": month, "timezone": UTC}
    day_star, weekday_star = parts[2].startswith("*"), parts[4].startswith("*")
    if day_star or weekday_star:
        trigger: BaseTrigger = CronTrigger(day=day, day_of_week=weekday, **common)
    else:
        # cron: with both day fields restricted, a day matching either one fires.
        trigger = OrTrigger(
            [
                CronTrigger(day=day, day_of_week="*", **common),
                CronTrigger(day="*", day_of_week=weekday, **common),
            ]
        )
    schedule = CronSchedule(expr, trigger)
    if schedule.next_after(dt.datetime.now(UTC)) is None:
        raise CronError(f"--cron {expr!r}: never fires (no such date in any year)")
    return schedule
