"""Digest schedule maths: parsing, fire times across DST, periods, catch-up and grouping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.notify.digest import (
    MAX_SEPARATE_PERIODS,
    DeliverySpec,
    due_periods,
    group_for_digest,
    next_fire,
    parse_delivery,
    period_containing,
    previous_fire,
)

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "kind", "normal", "minutes", "hours", "weekdays"),
    [
        ("instant", "instant", "instant", set(), set(), set(range(7))),
        (" Instant ", "instant", "instant", set(), set(), set(range(7))),
        ("daily 08:00", "daily", "daily 08:00", {0}, {8}, set(range(7))),
        ("daily 8:05", "daily", "daily 08:05", {5}, {8}, set(range(7))),
        ("DAILY   23:59", "daily", "daily 23:59", {59}, {23}, set(range(7))),
        ("weekly mon 08:00", "weekly", "weekly mon 08:00", {0}, {8}, {0}),
        ("weekly Sunday 18:30", "weekly", "weekly sun 18:30", {30}, {18}, {6}),
        ("weekly thurs 07:00", "weekly", "weekly thu 07:00", {0}, {7}, {3}),
        ("0 8 * * 1-5", "cron", "0 8 * * 1-5", {0}, {8}, {0, 1, 2, 3, 4}),
        ("*/20 9-17/4 * * *", "cron", "*/20 9-17/4 * * *", {0, 20, 40}, {9, 13, 17}, set(range(7))),
        ("5,35 0 * * MON-FRI", "cron", "5,35 0 * * mon-fri", {5, 35}, {0}, {0, 1, 2, 3, 4}),
        ("0 9 * * 0", "cron", "0 9 * * 0", {0}, {9}, {6}),
        ("0 9 * * 7", "cron", "0 9 * * 7", {0}, {9}, {6}),
        ("0 9 * * fri-mon", "cron", "0 9 * * fri-mon", {0}, {9}, {4, 5, 6, 0}),
        ("0 9 * * mon-sun", "cron", "0 9 * * mon-sun", {0}, {9}, set(range(7))),
        ("50-5 * * * *", "cron", "50-5 * * * *", {*range(50, 60), *range(0, 6)}, set(range(24)), set(range(7))),
        ("10/25 * * * *", "cron", "10/25 * * * *", {10, 35}, set(range(24)), set(range(7))),
    ],
)
def test_parse_delivery(text, kind, normal, minutes, hours, weekdays):
    spec = parse_delivery(text)
    assert (spec.kind, spec.text, str(spec)) == (kind, normal, normal)
    assert (set(spec.minutes), set(spec.hours), set(spec.weekdays)) == (minutes, hours, weekdays)


def test_parse_cron_months_days_and_day_rule():
    spec = parse_delivery("0 12 1,15 jan,jul-aug *")
    assert set(spec.days) == {1, 15} and set(spec.months) == {1, 7, 8} and not spec.day_or
    assert parse_delivery("0 12 13 * fri").day_or
    assert not parse_delivery("0 12 */2 * fri").day_or  # a field starting with * is not "restricted" (Vixie cron)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "daily 8am",
            "'daily 8am' is not a delivery schedule; use instant, 'daily 08:00', 'weekly mon 08:00' or a 5-field cron",
        ),
        ("hourly", "'hourly' is not a delivery schedule; use instant"),
        ("0 8 * *", "'0 8 * *' is not a delivery schedule"),
        ("0 8 * * * *", "'0 8 * * * *' is not a delivery schedule"),
        ("daily 24:00", "24:00 is not a time of day"),
        ("daily 08:60", "08:60 is not a time of day"),
        ("weekly xyz 08:00", "'xyz' is not a day of the week; use mon, tue"),
        ("weekly mo 08:00", "'mo' is not a day of the week"),
        ("0 25 * * *", "hour 25 is out of range 0-23"),
        ("60 * * * *", "minute 60 is out of range 0-59"),
        ("0 0 0 * *", "day of month 0 is out of range 1-31"),
        ("0 0 * 13 *", "month 13 is out of range 1-12"),
        ("0 0 * * 8", "day of week 8 is out of range 0-7"),
        ("*/0 * * * *", "the step in minute '*/0' must be 1 or more"),
        ("0 0 * foo *", "'foo' in month is not a number or a name (jan, feb"),
        ("a * * * *", "'a' in minute is not a number"),
        ("0 0 31 2 *", "never fires"),
        ("0 0 30,31 feb *", "never fires"),
    ],
)
def test_parse_delivery_rejects_with_actionable_message(text, message):
    with pytest.raises(ValueError) as info:
        parse_delivery(text)
    assert message in str(info.value)


# --------------------------------------------------------------------------- fire times, (previous, expected) tables


@pytest.mark.parametrize(
    ("delivery", "zone", "previous", "expected"),
    [
        # plain daily, winter (GMT) and summer (BST)
        ("daily 08:00", "Europe/London", utc(2026, 11, 24, 7, 59), utc(2026, 11, 24, 8, 0)),
        ("daily 08:00", "Europe/London", utc(2026, 11, 24, 8, 0), utc(2026, 11, 25, 8, 0)),  # strictly after
        ("daily 08:00", "Europe/London", utc(2026, 11, 24, 8, 0, 1), utc(2026, 11, 25, 8, 0)),
        ("daily 08:00", "Europe/London", utc(2026, 7, 1, 6, 0), utc(2026, 7, 1, 7, 0)),
        ("daily 08:00", "Europe/London", utc(2026, 12, 31, 9, 0), utc(2027, 1, 1, 8, 0)),
        # spring forward, 29 Mar 2026: 01:00 GMT -> 02:00 BST; 01:30 does not exist and fires at 02:00 BST
        ("daily 01:30", "Europe/London", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0)),
        ("daily 01:30", "Europe/London", utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0)),
        ("daily 01:30", "Europe/London", utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)),  # once only
        ("daily 01:00", "Europe/London", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0)),
        ("daily 02:00", "Europe/London", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0)),
        ("daily 00:59", "Europe/London", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 0, 59)),
        # fall back, 25 Oct 2026: 02:00 BST -> 01:00 GMT; 01:30 happens twice and fires at the first
        ("daily 01:30", "Europe/London", utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 30)),
        ("daily 01:30", "Europe/London", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),  # not 01:30 GMT
        ("daily 01:30", "Europe/London", utc(2026, 10, 25, 1, 0), utc(2026, 10, 26, 1, 30)),  # in the repeat
        ("daily 02:00", "Europe/London", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 0)),
        ("*/30 * * * *", "Europe/London", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 0)),  # repeat is quiet
        # New York and Sydney transitions
        ("daily 02:30", "America/New_York", utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 7, 0)),  # gap 02:00-03:00
        ("daily 01:30", "America/New_York", utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 5, 30)),  # first 01:30 EDT
        ("daily 02:30", "Australia/Sydney", utc(2026, 10, 3, 0, 0), utc(2026, 10, 3, 16, 0)),  # 03:00 AEDT
        ("daily 02:30", "Australia/Sydney", utc(2026, 4, 4, 0, 0), utc(2026, 4, 4, 15, 30)),  # first 02:30 AEDT
        ("daily 09:00", "Asia/Kolkata", utc(2026, 11, 24, 0, 0), utc(2026, 11, 24, 3, 30)),
        # weekly across month and year ends
        ("weekly mon 08:00", "Europe/London", utc(2026, 11, 27, 12, 0), utc(2026, 11, 30, 8, 0)),
        ("weekly mon 08:00", "Europe/London", utc(2026, 12, 29, 12, 0), utc(2027, 1, 4, 8, 0)),
        ("weekly mon 08:00", "Europe/London", utc(2026, 11, 30, 8, 0), utc(2026, 12, 7, 8, 0)),
        ("weekly sun 01:30", "Europe/London", utc(2026, 3, 23, 0, 0), utc(2026, 3, 29, 1, 0)),  # on the DST day
        ("weekly fri 17:00", "Europe/London", utc(2026, 3, 21, 0, 0), utc(2026, 3, 27, 17, 0)),
        ("weekly fri 17:00", "Europe/London", utc(2026, 3, 28, 0, 0), utc(2026, 4, 3, 16, 0)),  # now BST
        # cron: steps, ranges, lists, names, the day-of-month OR day-of-week rule
        ("*/15 9-17 * * mon-fri", "Europe/London", utc(2026, 11, 27, 17, 50), utc(2026, 11, 30, 9, 0)),
        ("*/15 9-17 * * mon-fri", "Europe/London", utc(2026, 11, 27, 10, 7), utc(2026, 11, 27, 10, 15)),
        ("0 8 * * 1-5", "Europe/London", utc(2026, 12, 31, 9, 0), utc(2027, 1, 1, 8, 0)),
        ("0 8 * * 1-5", "Europe/London", utc(2027, 1, 1, 9, 0), utc(2027, 1, 4, 8, 0)),
        ("0 8 1 * *", "Europe/London", utc(2026, 1, 31, 12, 0), utc(2026, 2, 1, 8, 0)),
        ("0 0 29 2 *", "UTC", utc(2026, 3, 1, 0, 0), utc(2028, 2, 29, 0, 0)),
        ("0 0 29 2 *", "UTC", utc(2097, 3, 1, 0, 0), utc(2104, 2, 29, 0, 0)),  # 2100 is not a leap year
        ("30 6 * jan,jul sun", "UTC", utc(2026, 2, 1, 0, 0), utc(2026, 7, 5, 6, 30)),
        ("0 12 13 * fri", "UTC", utc(2026, 11, 10, 0, 0), utc(2026, 11, 13, 12, 0)),  # Friday the 13th
        ("0 12 13 * fri", "UTC", utc(2026, 11, 13, 12, 0), utc(2026, 11, 20, 12, 0)),  # any Friday (OR)
        ("0 12 13 * fri", "UTC", utc(2026, 11, 28, 0, 0), utc(2026, 12, 4, 12, 0)),
        ("0 12 13 * fri", "UTC", utc(2027, 1, 9, 0, 0), utc(2027, 1, 13, 12, 0)),  # the 13th, a Wednesday
        ("0 12 */2 * fri", "UTC", utc(2026, 11, 1, 0, 0), utc(2026, 11, 13, 12, 0)),  # AND: odd day and Friday
        ("0 9 * * fri-mon", "UTC", utc(2026, 11, 24, 10, 0), utc(2026, 11, 27, 9, 0)),
        ("0 9 * * 7", "UTC", utc(2026, 11, 24, 10, 0), utc(2026, 11, 29, 9, 0)),
        ("59 23 31 dec *", "UTC", utc(2026, 1, 1, 0, 0), utc(2026, 12, 31, 23, 59)),
    ],
)
def test_next_fire(delivery, zone, previous, expected):
    assert next_fire(previous, parse_delivery(delivery), ZoneInfo(zone)) == expected


@pytest.mark.parametrize(
    ("delivery", "zone", "before", "expected"),
    [
        ("daily 08:00", "Europe/London", utc(2026, 11, 24, 8, 0), utc(2026, 11, 23, 8, 0)),
        ("daily 08:00", "Europe/London", utc(2026, 11, 24, 8, 1), utc(2026, 11, 24, 8, 0)),
        ("daily 01:30", "Europe/London", utc(2026, 3, 30, 0, 0), utc(2026, 3, 29, 1, 0)),
        ("daily 01:30", "Europe/London", utc(2026, 10, 25, 1, 45), utc(2026, 10, 25, 0, 30)),
        ("*/15 * * * *", "Europe/London", utc(2026, 10, 25, 1, 40), utc(2026, 10, 25, 0, 45)),  # in the repeat
        ("weekly mon 08:00", "Europe/London", utc(2027, 1, 2, 0, 0), utc(2026, 12, 28, 8, 0)),
        ("0 0 29 2 *", "UTC", utc(2028, 2, 28, 0, 0), utc(2024, 2, 29, 0, 0)),
    ],
)
def test_previous_fire(delivery, zone, before, expected):
    assert previous_fire(before, parse_delivery(delivery), ZoneInfo(zone)) == expected


def test_fire_times_need_aware_datetimes_and_a_schedule():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire(datetime(2026, 1, 1), parse_delivery("daily 08:00"), LONDON)
    with pytest.raises(ValueError, match="instant delivery has no digest schedule"):
        next_fire(utc(2026, 1, 1), parse_delivery("instant"), LONDON)


def test_results_are_utc_whatever_the_input_zone():
    after = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    fire = next_fire(after, parse_delivery("daily 08:00"), LONDON)
    assert fire.tzinfo is UTC and fire == utc(2026, 11, 24, 8, 0)


# --------------------------------------------------------------------------- cross-check with a minute-by-minute scan


def _matches(wall: datetime, spec: DeliverySpec) -> bool:
    dom, dow = wall.day in spec.days, wall.weekday() in spec.weekdays
    day_ok = (dom or dow) if spec.day_or else (dom and dow)
    return wall.minute in spec.minutes and wall.hour in spec.hours and wall.month in spec.months and day_ok


def _is_fire(t: datetime, spec: DeliverySpec, tz: ZoneInfo) -> bool:
    """Reference rule: a matching wall time fires at its first occurrence; times in a gap fire when it ends."""
    local = t.astimezone(tz)
    wall, before = local.replace(tzinfo=None), (t - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None)
    if _matches(wall, spec) and local.fold == 0:
        return True
    skipped = before + timedelta(minutes=1)
    while skipped < wall:  # a forward jump: the minutes the clock never showed
        if _matches(skipped, spec):
            return True
        skipped += timedelta(minutes=1)
    return False


ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Europe/Berlin", "UTC"]
TRANSITIONS = [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1), utc(2026, 3, 8, 7), utc(2026, 11, 1, 6), utc(2026, 4, 4, 16),
               utc(2026, 10, 3, 16), utc(2026, 4, 4, 15), utc(2026, 10, 3, 15, 30)]
cron_specs = st.builds(
    lambda m, h, d: f"{m} {h} * * {d}",
    st.sampled_from(["0", "30", "*/15", "5,50", "*", "10-20/5", "0,15,30,45"]),
    st.sampled_from(["*", "1", "2", "0-3", "1,2", "*/6", "23", "2-3"]),
    st.sampled_from(["*", "*", "sun", "mon-fri", "sat,sun"]),
)


@settings(max_examples=120, deadline=None)
@given(
    text=cron_specs,
    zone=st.sampled_from(ZONES),
    anchor=st.sampled_from(TRANSITIONS),
    shift=st.integers(min_value=-36 * 3600, max_value=36 * 3600),
)
def test_next_and_previous_fire_agree_with_a_minute_scan(text, zone, anchor, shift):
    spec, tz = parse_delivery(text), ZoneInfo(zone)
    after = anchor + timedelta(seconds=shift)
    fire = next_fire(after, spec, tz)
    assert fire > after and _is_fire(fire, spec, tz)
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t < fire:
        assert not _is_fire(t, spec, tz), f"{text} in {zone}: missed {t} before {fire}"
        t += timedelta(minutes=1)
    previous = previous_fire(fire, spec, tz)
    t = fire - timedelta(minutes=1)
    while t > previous:
        assert not _is_fire(t, spec, tz), f"{text} in {zone}: previous_fire skipped {t}"
        t -= timedelta(minutes=1)
    assert _is_fire(previous, spec, tz)


# --------------------------------------------------------------------------- periods


def test_period_containing_is_start_exclusive_end_inclusive():
    daily = parse_delivery("daily 08:00")
    assert period_containing(utc(2026, 11, 24, 12), daily, LONDON) == (utc(2026, 11, 24, 8), utc(2026, 11, 25, 8))
    # now exactly at a fire time: the period ending now
    assert period_containing(utc(2026, 11, 24, 8), daily, LONDON) == (utc(2026, 11, 23, 8), utc(2026, 11, 24, 8))
    weekly = parse_delivery("weekly mon 08:00")
    assert period_containing(utc(2026, 12, 31, 12), weekly, LONDON) == (utc(2026, 12, 28, 8), utc(2027, 1, 4, 8))


def test_period_across_spring_forward_is_23_hours():
    start, end = period_containing(utc(2026, 3, 29, 3), parse_delivery("daily 08:00"), LONDON)
    assert (start, end) == (utc(2026, 3, 28, 8), utc(2026, 3, 29, 7))
    assert end - start == timedelta(hours=23)


def test_due_periods_first_run_gives_only_the_latest_ended_period():
    daily = parse_delivery("daily 08:00")
    assert due_periods(None, utc(2026, 11, 24, 9), daily, LONDON) == [(utc(2026, 11, 23, 8), utc(2026, 11, 24, 8))]
    assert due_periods(None, utc(2026, 11, 24, 8), daily, LONDON) == [(utc(2026, 11, 23, 8), utc(2026, 11, 24, 8))]


def test_due_periods_nothing_when_up_to_date():
    daily = parse_delivery("daily 08:00")
    assert due_periods(utc(2026, 11, 24, 8), utc(2026, 11, 24, 9), daily, LONDON) == []
    assert due_periods(utc(2026, 11, 24, 8), utc(2026, 11, 25, 7, 59), daily, LONDON) == []
    assert due_periods(utc(2026, 11, 25, 8), utc(2026, 11, 24, 9), daily, LONDON) == []  # clock went back


def test_due_periods_returns_a_few_missed_periods_one_by_one():
    daily = parse_delivery("daily 08:00")
    got = due_periods(utc(2026, 11, 21, 8), utc(2026, 11, 24, 9), daily, LONDON)
    assert got == [
        (utc(2026, 11, 21, 8), utc(2026, 11, 22, 8)),
        (utc(2026, 11, 22, 8), utc(2026, 11, 23, 8)),
        (utc(2026, 11, 23, 8), utc(2026, 11, 24, 8)),
    ]
    assert len(got) == MAX_SEPARATE_PERIODS


def test_due_periods_collapse_a_long_outage_into_one_period():
    daily = parse_delivery("daily 08:00")
    got = due_periods(utc(2026, 11, 20, 8), utc(2026, 11, 24, 9), daily, LONDON)
    assert got == [(utc(2026, 11, 20, 8), utc(2026, 11, 24, 8))]
    minutely = parse_delivery("* * * * *")
    assert due_periods(utc(2025, 1, 1), utc(2026, 11, 24, 9, 0, 30), minutely, LONDON) == [
        (utc(2025, 1, 1), utc(2026, 11, 24, 9, 0))
    ]


def test_due_periods_chain_from_an_unaligned_end_after_a_schedule_change():
    weekly = parse_delivery("weekly mon 08:00")  # was daily 07:00 until the last digest
    got = due_periods(utc(2026, 11, 25, 7), utc(2026, 11, 30, 8, 5), weekly, LONDON)
    assert got == [(utc(2026, 11, 25, 7), utc(2026, 11, 30, 8))]


def test_due_periods_periods_are_contiguous_over_dst():
    daily = parse_delivery("daily 01:30")
    got = due_periods(utc(2026, 3, 27, 1, 30), utc(2026, 3, 30, 1), daily, LONDON)
    assert got == [
        (utc(2026, 3, 27, 1, 30), utc(2026, 3, 28, 1, 30)),
        (utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0)),
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)),
    ]


# --------------------------------------------------------------------------- grouping


def _alert(id_: int, categories: list[str], created: str) -> dict:
    return {"id": id_, "categories": categories, "created_at": created, "title": f"alert {id_}"}


def test_group_for_digest_orders_groups_by_urgency_and_alerts_newest_first():
    alerts = [
        _alert(1, ["petition"], "2026-11-24T09:00:00Z"),
        _alert(2, ["consultation"], "2026-11-24T10:00:00Z"),
        _alert(3, ["merger"], "2026-11-24T08:00:00Z"),
        _alert(4, ["service_change"], "2026-11-23T08:00:00Z"),
        _alert(5, ["service_change", "unconsulted"], "2026-11-22T08:00:00Z"),
        _alert(6, [], "2026-11-24T11:00:00Z"),
        _alert(7, ["merger", "unconsulted"], "2026-11-24T12:00:00Z"),
        _alert(8, ["service_change"], "2026-11-24T07:00:00+00:00"),
        _alert(9, ["merger", "service_change"], "2026-11-20T07:00:00Z"),
        _alert(10, ["petition", "merger"], "2026-11-24T06:00:00Z"),
    ]
    groups = group_for_digest(alerts)
    assert [(name, [a["id"] for a in members]) for name, members in groups] == [
        ("unconsulted", [7, 5]),
        ("service_change", [8, 4, 9]),
        ("merger", [3, 10]),
        ("consultation", [2]),
        ("petition", [1]),
        ("other", [6]),
    ]


def test_group_for_digest_breaks_ties_by_id_and_skips_empty_groups():
    same = "2026-11-24T09:00:00Z"
    groups = group_for_digest([_alert(1, ["merger"], same), _alert(2, ["merger"], same)])
    assert groups == [("merger", [_alert(2, ["merger"], same), _alert(1, ["merger"], same)])]
    assert group_for_digest([]) == []
