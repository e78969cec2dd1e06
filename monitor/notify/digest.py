"""Digest schedules: parse a subscription's ``delivery``, find fire times and the periods a digest covers.

Pure functions with no I/O, in the manner of arq's ``next_cron``; the daemon and the outbox call them.

Fire times. A schedule is a set of local wall-clock times in the subscription's timezone
(``daily 08:00``, ``weekly mon 08:00`` and 5-field cron all reduce to one cron-like matcher).
Every matching wall-clock time fires exactly once:

* a time skipped when the clocks go forward fires at the instant they jump ("daily 01:30" in
  Europe/London on 29 Mar 2026 fires at 02:00 BST, 01:00 UTC);
* a time repeated when the clocks go back fires at its first occurrence only (01:30 BST, not
  01:30 GMT). So ``*/15 * * * *`` is quiet during the repeated hour: its last period that night
  is 75 minutes long.

Periods. A digest period is the half-open interval ``(start, end]`` between two consecutive fire
times. An alert created at ``t`` belongs to the period with ``start < t <= end``, and that
period's digest is due from ``end`` on.

Catch-up. :func:`due_periods` chains periods from the end of the last digest sent, so no alert
falls between two digests even when the schedule changes. Up to :data:`MAX_SEPARATE_PERIODS`
missed periods are returned one by one (a weekend's daily digests after a Monday restart); a
longer outage collapses into one period covering the whole gap, so a restart sends one catch-up
digest rather than dozens.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "CATEGORY_ORDER",
    "DeliverySpec",
    "MAX_SEPARATE_PERIODS",
    "due_periods",
    "group_for_digest",
    "next_fire",
    "parse_delivery",
    "period_containing",
    "previous_fire",
    "primary_category",
]

MAX_SEPARATE_PERIODS = 3
"""More missed periods than this collapse into one catch-up period."""

CATEGORY_ORDER: tuple[str, ...] = ("unconsulted", "service_change", "merger", "consultation", "petition", "other")
"""Digest group order: a change made without consultation is the most urgent."""

_SEARCH_DAYS = 366 * 9  # long enough to find 29 February across a skipped leap year (2096 -> 2104)
_TICK = timedelta(microseconds=1)
_SLACK = timedelta(hours=3)  # more than any change of UTC offset
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CRON_DAY_NAMES = {name: (i + 1) % 7 for i, name in enumerate(_DAY_NAMES)}  # cron: sun=0, mon=1 ... sat=6
_MONTH_NAMES = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_USAGE = "use instant, 'daily 08:00', 'weekly mon 08:00' or a 5-field cron"
_DAILY = re.compile(r"daily\s+(\d{1,2}):(\d{2})", re.IGNORECASE)
_WEEKLY = re.compile(r"weekly\s+([a-z]+)\s+(\d{1,2}):(\d{2})", re.IGNORECASE)
_NONE = frozenset[int]()


@dataclass(frozen=True)
class DeliverySpec:
    """A parsed ``delivery`` value. Every scheduled kind is held as cron fields.

    :param kind: ``instant`` (no schedule), ``daily``, ``weekly`` or ``cron``.
    :param text: the schedule in its normal written form (``daily 08:00``).
    :param minutes: minutes of the hour that fire (0-59).
    :param hours: hours of the day that fire (0-23).
    :param days: days of the month that fire (1-31).
    :param months: months that fire (1-12).
    :param weekdays: days of the week that fire, Python numbering (0 = Monday ... 6 = Sunday).
    :param day_or: cron's rule when both day of month and day of week are restricted: either may match.
    """

    kind: Literal["instant", "daily", "weekly", "cron"]
    text: str
    minutes: frozenset[int] = _NONE
    hours: frozenset[int] = _NONE
    days: frozenset[int] = frozenset(range(1, 32))
    months: frozenset[int] = frozenset(range(1, 13))
    weekdays: frozenset[int] = frozenset(range(7))
    day_or: bool = False

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------- parsing


def parse_delivery(text: str) -> DeliverySpec:
    """Parse ``instant``, ``daily HH:MM``, ``weekly DAY HH:MM`` or a 5-field cron.

    :raises ValueError: with a message that says what to write instead.
    """
    norm = " ".join(str(text).split())
    lower = norm.lower()
    if lower == "instant":
        return DeliverySpec("instant", "instant")
    if m := _DAILY.fullmatch(norm):
        hour, minute = _clock(norm, m.group(1), m.group(2))
        return DeliverySpec("daily", f"daily {hour:02d}:{minute:02d}", frozenset({minute}), frozenset({hour}))
    if m := _WEEKLY.fullmatch(norm):
        day = _weekday(norm, m.group(1))
        hour, minute = _clock(norm, m.group(2), m.group(3))
        return DeliverySpec(
            "weekly",
            f"weekly {_DAY_NAMES[day]} {hour:02d}:{minute:02d}",
            frozenset({minute}),
            frozenset({hour}),
            weekdays=frozenset({day}),
        )
    fields = lower.split(" ")
    if len(fields) == 5 and not lower.startswith(("daily", "weekly")):
        return _parse_cron(text, lower, fields)
    raise ValueError(f"{text!r} is not a delivery schedule; {_USAGE}")


def _clock(text: str, hour: str, minute: str) -> tuple[int, int]:
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        raise ValueError(f"{text!r}: {hour}:{minute} is not a time of day; use 24-hour HH:MM from 00:00 to 23:59")
    return h, m


def _weekday(text: str, word: str) -> int:
    word = word.lower()
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for i, name in enumerate(full):
        if len(word) >= 3 and name.startswith(word):
            return i
    raise ValueError(f"{text!r}: {word!r} is not a day of the week; use mon, tue, wed, thu, fri, sat or sun")


def _parse_cron(text: str, norm: str, fields: list[str]) -> DeliverySpec:
    minute, hour, dom, month, dow = fields
    dow_values = _parse_field(text, "day of week", dow, 0, 7, _CRON_DAY_NAMES)
    spec = DeliverySpec(
        "cron",
        norm,
        minutes=_parse_field(text, "minute", minute, 0, 59, {}),
        hours=_parse_field(text, "hour", hour, 0, 23, {}),
        days=_parse_field(text, "day of month", dom, 1, 31, {}),
        months=_parse_field(text, "month", month, 1, 12, _MONTH_NAMES),
        weekdays=frozenset((v - 1) % 7 for v in dow_values),
        day_or=not dom.startswith("*") and not dow.startswith("*"),
    )
    if _next_wall(datetime(2000, 1, 1), spec) is None:
        raise ValueError(f"{text!r} never fires (no such date); check the day of month and month")
    return spec


def _parse_field(text: str, name: str, field: str, lo: int, hi: int, names: dict[str, int]) -> frozenset[int]:
    """One cron field: ``*``, ``5``, ``1-5``, ``*/15``, ``1-30/2``, ``5/15``, names, lists; ranges may wrap."""
    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _number(text, name, step_text, {}) if step_text else 1
        if step < 1:
            raise ValueError(f"{text!r}: the step in {name} {part!r} must be 1 or more")
        if base == "*":
            first, last = lo, hi
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(text, name, a, names), _number(text, name, b, names)
        else:
            first = _number(text, name, base, names)
            last = hi if step_text else first
        for v in (first, last):
            if not lo <= v <= hi:
                raise ValueError(f"{text!r}: {name} {v} is out of range {lo}-{hi}")
        seq = list(range(first, last + 1)) if first <= last else [*range(first, hi + 1), *range(lo, last + 1)]
        values.update(seq[::step])
    return frozenset(values)


def _number(text: str, name: str, token: str, names: dict[str, int]) -> int:
    if token.isdigit():
        return int(token)
    if token in names:
        return names[token]
    hint = f" or a name ({', '.join(names)})" if names else ""
    raise ValueError(f"{text!r}: {token!r} in {name} is not a number{hint}")


# --------------------------------------------------------------------------- wall-clock matching


def _day_matches(day: date, spec: DeliverySpec) -> bool:
    if day.month not in spec.months:
        return False
    dom, dow = day.day in spec.days, day.weekday() in spec.weekdays
    return (dom or dow) if spec.day_or else (dom and dow)


def _next_wall(after: datetime, spec: DeliverySpec) -> datetime | None:
    """The first matching naive wall-clock minute strictly after ``after``."""
    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day, hours, minutes = start.date(), sorted(spec.hours), sorted(spec.minutes)
    floor = (start.hour, start.minute)
    for _ in range(_SEARCH_DAYS):
        if _day_matches(day, spec):
            for h in hours[bisect_left(hours, floor[0]) :]:
                i = bisect_left(minutes, floor[1]) if h == floor[0] else 0
                if i < len(minutes):
                    return datetime.combine(day, time(h, minutes[i]))
        day, floor = day + timedelta(days=1), (0, 0)
    return None


def _prev_wall(before: datetime, spec: DeliverySpec) -> datetime | None:
    """The last matching naive wall-clock minute strictly before ``before``."""
    last = before - timedelta(microseconds=1)
    day, hours, minutes = last.date(), sorted(spec.hours), sorted(spec.minutes)
    ceiling = (last.hour, last.minute)
    for _ in range(_SEARCH_DAYS):
        if _day_matches(day, spec):
            for h in reversed(hours[: bisect_right(hours, ceiling[0])]):
                i = bisect_right(minutes, ceiling[1]) if h == ceiling[0] else len(minutes)
                if i > 0:
                    return datetime.combine(day, time(h, minutes[i - 1]))
        day, ceiling = day - timedelta(days=1), (23, 59)
    return None


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant a wall-clock time fires: its first occurrence, or the end of a DST gap."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == wall:
        return first
    # In a gap fold=0 reads the wall with the offset before the jump, fold=1 with the one after;
    # the jump lies between the two readings.
    lo = int(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    hi = int(first.timestamp())
    after_offset = first.astimezone(tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == after_offset:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


# --------------------------------------------------------------------------- fire times and periods


def _require(instant: datetime, spec: DeliverySpec) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()} given; schedule maths needs timezone-aware times")
    if spec.kind == "instant":
        raise ValueError("instant delivery has no digest schedule")


def _never(spec: DeliverySpec) -> ValueError:
    return ValueError(f"delivery schedule {spec.text!r} never fires")


def next_fire(after: datetime, spec: DeliverySpec, tz: ZoneInfo) -> datetime:
    """The first fire time strictly after ``after`` (aware), in UTC."""
    _require(after, spec)
    wall = _wall(after, tz)  # a real reading: its first occurrence is not later than `after`
    while _resolve(wall, tz) > after:
        wall -= timedelta(days=1)
    while True:
        found = _next_wall(wall, spec)
        if found is None:
            raise _never(spec)
        if (fire := _resolve(found, tz)) > after:
            return fire
        wall = found


def previous_fire(before: datetime, spec: DeliverySpec, tz: ZoneInfo) -> datetime:
    """The last fire time strictly before ``before`` (aware), in UTC."""
    _require(before, spec)
    wall = _wall(before, tz) + _SLACK  # past a repeated hour, whose first pass resolves earlier
    while _resolve(wall, tz) < before:
        wall += timedelta(days=1)
    while True:
        found = _prev_wall(wall, spec)
        if found is None:
            raise _never(spec)
        if (fire := _resolve(found, tz)) < before:
            return fire
        wall = found


def period_containing(now: datetime, spec: DeliverySpec, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period ``(start, end]`` with ``start < now <= end``, in UTC.

    ``end`` is the first fire time at or after ``now``; when ``now`` is itself a fire time the
    period is the one ending at ``now`` (its alerts go into the digest sent now).
    """
    end = next_fire(now - _TICK, spec, tz)
    return previous_fire(end, spec, tz), end


def due_periods(
    last_sent_end: datetime | None, now: datetime, spec: DeliverySpec, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """Periods that have ended by ``now`` and are not yet sent, oldest first, in UTC.

    With no digest sent yet, only the most recent ended period. Otherwise periods chain from
    ``last_sent_end``; more than :data:`MAX_SEPARATE_PERIODS` of them collapse into one
    ``(last_sent_end, latest end]`` period (see the module docstring).
    """
    latest_end = previous_fire(now + _TICK, spec, tz)
    if last_sent_end is None:
        return [(previous_fire(latest_end, spec, tz), latest_end)]
    _require(last_sent_end, spec)
    if last_sent_end >= latest_end:
        return []
    ends: list[datetime] = []
    cursor = last_sent_end
    while len(ends) <= MAX_SEPARATE_PERIODS and cursor < latest_end:
        cursor = next_fire(cursor, spec, tz)
        ends.append(cursor)
    if len(ends) > MAX_SEPARATE_PERIODS:
        return [(last_sent_end.astimezone(UTC), latest_end)]
    starts = [last_sent_end.astimezone(UTC), *ends[:-1]]
    return list(zip(starts, ends, strict=True))


# --------------------------------------------------------------------------- grouping


def primary_category(alert: dict[str, Any]) -> str:
    """The alert's digest group: the first of :data:`CATEGORY_ORDER` among its categories, else ``other``."""
    categories = set(alert.get("categories") or ())
    return next((c for c in CATEGORY_ORDER if c in categories), "other")


def _created(alert: dict[str, Any]) -> datetime:
    value = alert.get("created_at")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        moment = datetime.fromisoformat(value)
    else:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _newest_first_key(alert: dict[str, Any]) -> tuple[datetime, int]:
    return _created(alert), int(alert.get("id") or 0)


def group_for_digest(alerts: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Alerts grouped by primary category in :data:`CATEGORY_ORDER`, newest first within a group.

    Empty groups are left out.
    """
    ordered = sorted(alerts, key=_newest_first_key, reverse=True)
    groups = [(cat, [a for a in ordered if primary_category(a) == cat]) for cat in CATEGORY_ORDER]
    return [(cat, members) for cat, members in groups if members]
