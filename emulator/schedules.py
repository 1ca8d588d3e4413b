"""EventBridge schedule expressions (rate, cron, at): parse them and compute the next firing.

Why no library: croniter and friends implement classic five-field cron, where day-of-month and
day-of-week are OR-ed, Sunday is 0, and there is no year field and no ``?``. EventBridge uses
Quartz-style six-field cron ("Schedule expressions for rules", EventBridge User Guide): Sunday is
1, exactly one of day-of-month/day-of-week is ``?``, ``L``/``W``/``#`` follow Quartz, and the year
runs 1970-2199. Adapting a classic-cron library would cost more than these few hundred lines.

Where the AWS pages are silent we follow Quartz, from which AWS's syntax comes: ``nW`` never
crosses a month boundary (``1W`` on a Saturday is Monday the 3rd), ``L`` alone in day-of-week is
Saturday (7), a range may wrap (the EventBridge example ``20-2`` in hours), and a step may not
exceed the field's largest value (AWS rejects ``cron(*/60 * * * ? *)``).

Time zones follow the EventBridge Scheduler User Guide ("Schedule types", daylight saving time):
a wall-clock time that does not exist when clocks go forward is skipped, and one that occurs
twice when clocks go back fires once, at its first occurrence. A rate of days is 24 hours, not a
calendar day. Rules (tz None) evaluate in UTC. Every search walks a bounded set of years (at most
1970-2199) and months, so an impossible expression such as Feb 30 returns None.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FIRST_YEAR = 1970
LAST_YEAR = 2199

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"(\d+)\s+(minute|minutes|hour|hours|day|days)")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_EXPRESSION = re.compile(r"(rate|cron|at)\((.*)\)", re.DOTALL)
_ITEM = re.compile(r"(\*|[0-9A-Z]+)(?:-([0-9A-Z]+))?(?:/(\d+))?")


class ScheduleExpressionError(ValueError):
    """A schedule expression (or its time zone) that EventBridge would reject."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"Schedule expression {expression!r} is not valid: {reason}")
        self.expression = expression
        self.reason = reason


@dataclass(frozen=True)
class _Field:
    """One cron field's name, value range, largest step and value names."""

    name: str
    low: int
    high: int
    max_step: int
    names: tuple[str, ...] = ()


_MINUTES = _Field("minutes", 0, 59, 59)
_HOURS = _Field("hours", 0, 23, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, 31)
_MONTH = _Field("month", 1, 12, 12, MONTH_NAMES)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, 7, DAY_NAMES)
_YEAR = _Field("year", FIRST_YEAR, LAST_YEAR, LAST_YEAR - FIRST_YEAR)

DayKind = Literal["values", "last", "last_weekday", "nearest_weekday", "last_of", "nth_of"]


@dataclass(frozen=True)
class DaySpec:
    """The day-of-month or day-of-week field, resolved to days of a given month."""

    kind: DayKind
    values: frozenset[int] = frozenset()
    weekday_days: bool = False
    number: int = 0
    nth: int = 0

    def days(self, year: int, month: int) -> list[int]:
        """Days of the month that match, ascending."""
        length = calendar.monthrange(year, month)[1]
        every = range(1, length + 1)
        match self.kind:
            case "values" if self.weekday_days:
                return [d for d in every if _aws_weekday(year, month, d) in self.values]
            case "values":
                return [d for d in every if d in self.values]
            case "last":
                return [length]
            case "last_weekday":
                return [_nearest_weekday(year, month, length, length)]
            case "nearest_weekday":
                hit = self.number <= length
                return [_nearest_weekday(year, month, self.number, length)] if hit else []
            case "last_of":
                return [max(d for d in every if _aws_weekday(year, month, d) == self.number)]
            case "nth_of":
                first = next(d for d in every if _aws_weekday(year, month, d) == self.number)
                day = first + 7 * (self.nth - 1)
                return [day] if day <= length else []
        raise AssertionError(self.kind)


@dataclass(frozen=True)
class RateSchedule:
    """``rate(value unit)``: fires every ``interval`` after the previous firing."""

    expression: str
    interval: timedelta

    def next_after(self, t: datetime, tz: str | None = None) -> datetime | None:
        """The firing after one at ``t``: a fixed duration later, whatever the zone's clock does."""
        _zone(tz, self.expression)
        try:
            return _utc(t) + self.interval
        except OverflowError:
            return None


@dataclass(frozen=True)
class AtSchedule:
    """``at(yyyy-mm-ddThh:mm:ss)``: an EventBridge Scheduler one-time schedule."""

    expression: str
    wall_time: datetime

    def next_after(self, t: datetime, tz: str | None = None) -> datetime | None:
        """The one firing if it is later than ``t``, else None."""
        instant = _first_instant(self.wall_time, _zone(tz, self.expression))
        return instant if instant is not None and instant > _utc(t) else None


@dataclass(frozen=True)
class CronSchedule:
    """``cron(minutes hours day-of-month month day-of-week year)`` in AWS's six-field syntax."""

    expression: str
    times: tuple[time, ...]
    months: tuple[int, ...]
    years: tuple[int, ...]
    day_spec: DaySpec

    def next_after(self, t: datetime, tz: str | None = None) -> datetime | None:
        """The first firing strictly later than ``t``, in UTC; None if there is none by 2199."""
        zone = _zone(tz, self.expression)
        after = _utc(t)
        if after.year > LAST_YEAR:
            return None
        # Before 1969 nothing can fire; clamping keeps astimezone clear of datetime's limits.
        basis = max(after, datetime(FIRST_YEAR - 1, 1, 1, tzinfo=UTC))
        start = basis.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        for wall in self._walls_from(start):
            instant = _first_instant(wall, zone)
            if instant is not None and instant > after:
                return instant
        return None

    def _walls_from(self, start: datetime) -> Iterator[datetime]:
        """Matching wall-clock minutes from ``start`` on, ascending."""
        for day in self._dates_from(start.date()):
            skip = bisect_left(self.times, start.time()) if day == start.date() else 0
            for moment in self.times[skip:]:
                yield datetime.combine(day, moment)

    def _dates_from(self, first: date) -> Iterator[date]:
        """Matching dates from ``first`` on: at most 230 years of 12 months are visited."""
        for year in self.years[bisect_left(self.years, first.year) :]:
            for month in self.months:
                if (year, month) < (first.year, first.month):
                    continue
                for day in self.day_spec.days(year, month):
                    if date(year, month, day) >= first:
                        yield date(year, month, day)


Schedule = RateSchedule | CronSchedule | AtSchedule


def parse_schedule(expr: str) -> Schedule:
    """Parse ``rate(...)``, ``cron(...)`` or ``at(...)``; raise ScheduleExpressionError."""
    text = expr.strip()
    outer = _EXPRESSION.fullmatch(text)
    if outer is None:
        raise ScheduleExpressionError(expr, "expected rate(...), cron(...) or at(...)")
    kind, body = outer.groups()
    if kind == "rate":
        return _parse_rate(expr, body)
    if kind == "at":
        return _parse_at(expr, body)
    return _parse_cron(expr, body)


def _parse_rate(expr: str, body: str) -> RateSchedule:
    """``rate(1 minute)``, ``rate(5 minutes)``: singular unit for 1, plural above (AWS rule)."""
    match = _RATE.fullmatch(body.strip())
    if match is None:
        raise ScheduleExpressionError(
            expr, "a rate is 'value unit' with unit minute(s), hour(s) or day(s)"
        )
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        raise ScheduleExpressionError(expr, "the rate value must be a positive integer")
    singular = unit.rstrip("s")
    if value == 1 and unit != singular:
        raise ScheduleExpressionError(expr, f"a value of 1 needs the singular unit {singular!r}")
    if value > 1 and unit == singular:
        raise ScheduleExpressionError(expr, f"a value above 1 needs the plural unit '{unit}s'")
    try:
        interval = timedelta(seconds=value * _UNIT_SECONDS[singular])
    except OverflowError:
        raise ScheduleExpressionError(expr, "the rate value is too large") from None
    return RateSchedule(expr, interval)


def _parse_at(expr: str, body: str) -> AtSchedule:
    """``at(2022-11-20T13:00:00)``: a local date and time, read in the schedule's time zone."""
    if _AT.fullmatch(body) is None:
        raise ScheduleExpressionError(expr, "an at expression is at(yyyy-mm-ddThh:mm:ss)")
    try:
        return AtSchedule(expr, datetime.strptime(body, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        raise ScheduleExpressionError(expr, f"{body!r} is not a real date and time") from None


def _parse_cron(expr: str, body: str) -> CronSchedule:
    """Six whitespace-separated fields; exactly one of day-of-month/day-of-week is ``?``."""
    fields = body.upper().split()
    if len(fields) != 6:
        raise ScheduleExpressionError(expr, f"cron needs 6 fields, got {len(fields)}")
    minutes, hours, dom, months, dow, years = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(
            expr, "exactly one of day-of-month and day-of-week must be '?'"
        )
    day_spec = _day_of_week(expr, dow) if dom == "?" else _day_of_month(expr, dom)
    minute_values = _values(expr, minutes, _MINUTES)
    hour_values = _values(expr, hours, _HOURS)
    times = tuple(time(h, m) for h in sorted(hour_values) for m in sorted(minute_values))
    return CronSchedule(
        expression=expr,
        times=times,
        months=tuple(sorted(_values(expr, months, _MONTH))),
        years=tuple(sorted(_values(expr, years, _YEAR))),
        day_spec=day_spec,
    )


def _day_of_month(expr: str, text: str) -> DaySpec:
    """``L`` (last day), ``LW`` (last weekday), ``15W`` (weekday nearest the 15th), or values."""
    if text == "L":
        return DaySpec("last")
    if text == "LW":
        return DaySpec("last_weekday")
    if text.endswith("W"):
        day = _number(expr, text[:-1], _DAY_OF_MONTH)
        return DaySpec("nearest_weekday", number=day)
    return DaySpec("values", values=_values(expr, text, _DAY_OF_MONTH))


def _day_of_week(expr: str, text: str) -> DaySpec:
    """``L`` (Saturday), ``6L`` (last Friday), ``3#2`` (second Tuesday), or values; SUN is 1."""
    if text == "L":
        return DaySpec("values", values=frozenset({7}), weekday_days=True)
    if text.endswith("L"):
        return DaySpec("last_of", number=_number(expr, text[:-1], _DAY_OF_WEEK))
    if "#" in text:
        if "," in text:
            raise ScheduleExpressionError(expr, f"day-of-week {text!r}: a '#' value stands alone")
        weekday, _, nth = text.partition("#")
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise ScheduleExpressionError(expr, f"day-of-week {text!r}: '#' takes 1 to 5")
        return DaySpec("nth_of", number=_number(expr, weekday, _DAY_OF_WEEK), nth=int(nth))
    return DaySpec("values", values=_values(expr, text, _DAY_OF_WEEK), weekday_days=True)


def _values(expr: str, text: str, field: _Field) -> frozenset[int]:
    """Expand ``*``, ``a``, ``a-b`` (may wrap), ``a/n``, ``*/n``, ``a-b/n`` and ``,`` lists."""
    values: set[int] = set()
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise ScheduleExpressionError(expr, f"{field.name} field has invalid item {item!r}")
        start_text, end_text, step_text = match.groups()
        step = 1 if step_text is None else int(step_text)
        if not 1 <= step <= field.max_step:
            raise ScheduleExpressionError(
                expr, f"{field.name} step must be between 1 and {field.max_step}, got {step}"
            )
        start, end = _bounds(expr, field, start_text, end_text, stepped=step_text is not None)
        size = field.high - field.low + 1
        span = (end - start) % size
        values.update(field.low + (start - field.low + k) % size for k in range(0, span + 1, step))
    return frozenset(values)


def _bounds(
    expr: str, field: _Field, start_text: str, end_text: str | None, *, stepped: bool
) -> tuple[int, int]:
    """An item's first and last value: ``a/n`` runs to the field's top; ``b < a`` wraps round."""
    if start_text == "*":
        if end_text is not None:
            raise ScheduleExpressionError(expr, f"{field.name} field cannot range from '*'")
        return field.low, field.high
    start = _number(expr, start_text, field)
    if end_text is not None:
        return start, _number(expr, end_text, field)
    return start, field.high if stepped else start


def _number(expr: str, text: str, field: _Field) -> int:
    """A field value given as a number or, for month and day-of-week, a three-letter name."""
    if text in field.names:
        return field.names.index(text) + 1
    if not text.isdigit() or not field.low <= int(text) <= field.high:
        allowed = f"{field.low}-{field.high}" + (" or a name" if field.names else "")
        raise ScheduleExpressionError(expr, f"{field.name} value {text!r} is not {allowed}")
    return int(text)


def _aws_weekday(year: int, month: int, day: int) -> int:
    """AWS day-of-week numbering: 1 is Sunday, 7 is Saturday."""
    return (date(year, month, day).weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """The Monday-Friday day nearest ``day``, never leaving the month (Quartz ``W``)."""
    weekday = _aws_weekday(year, month, day)
    if weekday == 7:
        return day + 2 if day == 1 else day - 1
    if weekday == 1:
        return day - 2 if day == length else day + 1
    return day


def _zone(tz: str | None, expression: str) -> ZoneInfo:
    """The IANA zone named by ScheduleExpressionTimezone; UTC when there is none."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleExpressionError(expression, f"unknown time zone {tz!r}") from None


def _utc(t: datetime) -> datetime:
    """``t`` in UTC; a naive datetime is refused, since its instant is unknown."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"datetime {t.isoformat()} must carry a time zone")
    return t.astimezone(UTC)


def _first_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The first UTC instant showing ``wall`` on the zone's clock; None if the clock skips it."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant
