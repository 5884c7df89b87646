"""Property tests of the final schedule: for random layered schedules with restrictions and
overrides over 8 weeks that cross DST changes, `final_schedule` equals a brute-force reference
that decides every minute on its own, has no overlaps, and covers exactly the minutes some layer
or override covers; `on_call_at` and `gaps` agree with it.

The reference shares no code with the implementation. It works in whole minutes and reads the
wall clock minute by minute; its one rule for wall-clock times is the documented one said another
way: a wall-clock time X comes at the first minute by which the wall clock has read X or later
(the running maximum of the wall clock reaches X). That makes a repeated time its first
occurrence and a skipped time the moment the clocks jump. Cost: one UTC-offset look-up per 15
minutes (minute by minute where the offset changes) and a few integer operations per minute.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vigil.domain.schedules import (
    WEEKDAYS,
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    final_schedule,
    gaps,
    on_call_at,
)

ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
EXAMPLES = 80 if os.environ.get("VIGIL_FUZZ") == "full" else 10
PROPERTY = settings(
    database=None,
    deadline=None,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EIGHT_WEEKS = 8 * 7 * 1440
NAMES = ["ann", "bob", "cat", "dan", "eve"]
# Around the changes: New York 02:00, London 01:00/02:00, Lord Howe 02:00 (+30 min) and 02:00->01:30.
TRICKY_TIMES = [time(h, m) for h, m in [(0, 0), (1, 0), (1, 30), (1, 45), (2, 0), (2, 15), (2, 30), (3, 0)]]
# Windows starting up to 30 days after these cross the March/April or the October/November changes.
WINDOW_BASES = [datetime(2026, 2, 8, tzinfo=UTC), datetime(2026, 9, 8, tzinfo=UTC)]

# ---------------------------------------------------------------- the reference


def minute_of(moment: datetime) -> int:
    assert moment.second == 0 and moment.microsecond == 0, moment
    return int(moment.timestamp()) // 60


def minute_of_day(value: time) -> int:
    return value.hour * 60 + value.minute


def weekday_of(day_number: int) -> int:
    """Monday 0 for a day counted from 1970-01-01, a Thursday."""
    return (day_number + 3) % 7


def utc_offsets(zone: ZoneInfo, first: int, last: int) -> list[int]:
    """Each minute's UTC offset in minutes, sampled every 15 minutes and looked up minute by
    minute where it changes (no zone changes twice within 15 minutes)."""

    def offset(minute: int) -> int:
        shift = datetime.fromtimestamp(minute * 60, zone).utcoffset()
        assert shift is not None
        return int(shift.total_seconds()) // 60

    offsets: list[int] = []
    for block in range(first, last, 15):
        end = min(block + 15, last)
        same = offset(block) == offset(end - 1)
        offsets += [offset(block)] * (end - block) if same else [offset(m) for m in range(block, end)]
    return offsets


@dataclass
class Clock:
    """The running maximum of the wall clock (in minutes since 1970-01-01 00:00 wall time) for
    each minute from `first`: non-decreasing, so the minute a wall time comes is a bisection."""

    first: int
    highest: list[int]

    def wall(self, minute: int) -> int:
        return self.highest[minute - self.first]

    def comes(self, wall: int) -> int:
        return self.first + bisect_left(self.highest, wall)


def clock(zone: ZoneInfo, first: int, last: int) -> Clock:
    highest: list[int] = []
    for i, offset in enumerate(utc_offsets(zone, first, last)):
        wall = first + i + offset
        highest.append(max(wall, highest[-1]) if highest else wall)
    return Clock(first, highest)


@dataclass
class RefLayer:
    start: int
    end: int
    participants: list[str]
    period: int
    custom: bool
    first_wall: int  # wall time of turn 0's handoff
    first_minute: int  # the minute turn 0's handoff comes
    windows: list[tuple[int, int, set[int]]]  # restriction start, end (minutes of day), weekdays


def ref_layer(layer: Layer, wall_clock: Clock) -> RefLayer:
    start = minute_of(layer.start)
    started = wall_clock.wall(start)
    period = {"daily": 1440, "weekly": 10080}.get(layer.rotation, (layer.shift_hours or 0) * 60)
    day = started // 1440
    first_wall = day * 1440 + minute_of_day(layer.handoff_time)
    step = 1440
    if layer.rotation == "weekly":
        step = 10080
        handoff_day = WEEKDAYS.index(layer.handoff_day) if layer.handoff_day else weekday_of(day)
        first_wall -= (weekday_of(day) - handoff_day) % 7 * 1440
    if first_wall > started:
        first_wall -= step
    windows = [
        (minute_of_day(r.start), minute_of_day(r.end), {WEEKDAYS.index(d) for d in r.days or WEEKDAYS})
        for r in layer.restrictions
    ]
    return RefLayer(
        start=start,
        end=minute_of(layer.end) if layer.end else 10**12,
        participants=layer.participants,
        period=period,
        custom=layer.rotation == "custom",
        first_wall=first_wall,
        first_minute=wall_clock.comes(first_wall),
        windows=windows,
    )


def in_a_window(layer: RefLayer, wall: int) -> bool:
    day = wall // 1440
    for opens, closes, weekdays in layer.windows:
        for d in (day, day - 1):
            start = d * 1440 + opens
            end = (d + (closes <= opens)) * 1440 + closes
            if weekday_of(d) in weekdays and start <= wall < end:
                return True
    return False


def reference(schedule: Schedule, since: int, until: int) -> list[tuple[str, str] | None]:
    """Minute by minute: the last override covering it, else the last layer with someone on
    call (within its start and end, inside a restriction window if it has any)."""
    first = min([since, *(minute_of(layer.start) for layer in schedule.layers)]) - 2 * 1440
    wall_clock = clock(ZoneInfo(schedule.time_zone), first, until)
    layers = [ref_layer(layer, wall_clock) for layer in schedule.layers]
    overrides = [(minute_of(o.start), minute_of(o.end), o.user_id, o.id) for o in schedule.overrides]
    found: list[tuple[str, str] | None] = []
    for minute in range(since, until):
        found.append(who(minute, wall_clock.wall(minute), layers, overrides))
    return found


def who(
    minute: int, wall: int, layers: list[RefLayer], overrides: list[tuple[int, int, str, str]]
) -> tuple[str, str] | None:
    for start, end, user, override_id in reversed(overrides):
        if start <= minute < end:
            return user, f"override:{override_id}"
    for index in reversed(range(len(layers))):
        layer = layers[index]
        if not layer.start <= minute < layer.end:
            continue
        if layer.windows and not in_a_window(layer, wall):
            continue
        if layer.custom:
            turn = (minute - layer.first_minute) // layer.period
        else:
            turn = (wall - layer.first_wall) // layer.period
        return layer.participants[turn % len(layer.participants)], f"layer:{index}"
    return None


def minute_by_minute(shifts: list[Shift], since: int, until: int) -> list[tuple[str, str] | None]:
    found: list[tuple[str, str] | None] = [None] * (until - since)
    for shift in shifts:
        first, last = minute_of(shift.start) - since, minute_of(shift.end) - since
        found[first:last] = [(shift.user_id, shift.source)] * (last - first)
    return found


# ---------------------------------------------------------------- random schedules

# Two draws in three are times near a change, so that skipped and repeated times come up often.
tricky_times = st.sampled_from(TRICKY_TIMES)
times = st.one_of(tricky_times, tricky_times, st.builds(time, st.integers(0, 23), st.integers(0, 59)))
restrictions = st.builds(
    Restriction,
    start=times,
    end=times,
    days=st.none() | st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True),
)


def minutes_after(moment: datetime, low: int, high: int) -> st.SearchStrategy[datetime]:
    return st.integers(low, high).map(lambda m: moment + timedelta(minutes=m))


@st.composite
def layers(draw: st.DrawFn, since: datetime) -> Layer:
    rotation = draw(st.sampled_from(["daily", "daily", "weekly", "custom"]))
    start = draw(minutes_after(since, -3 * 1440, 20 * 1440))
    return Layer(
        participants=draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4)),
        rotation=rotation,
        shift_hours=draw(st.integers(1, 72)) if rotation == "custom" else None,
        handoff_time=draw(times),
        handoff_day=draw(st.sampled_from([None, "sunday", *WEEKDAYS])) if rotation == "weekly" else None,
        start=start,
        end=draw(st.none() | minutes_after(start, 60, 60 * 1440)),
        restrictions=draw(st.lists(restrictions, max_size=2)),
    )


@st.composite
def overrides(draw: st.DrawFn, since: datetime) -> list[Override]:
    found = []
    for i in range(draw(st.integers(0, 4))):
        start = draw(minutes_after(since, -1440, 57 * 1440))
        end = draw(minutes_after(start, 1, 5 * 1440))
        found.append(Override(id=f"o{i}", user_id=draw(st.sampled_from(NAMES)), start=start, end=end))
    return found


@st.composite
def cases(draw: st.DrawFn, zone: str) -> tuple[Schedule, datetime, datetime]:
    since = draw(st.sampled_from(WINDOW_BASES).flatmap(lambda base: minutes_after(base, 0, 30 * 1440)))
    schedule = Schedule(
        time_zone=zone,
        layers=draw(st.lists(layers(since), min_size=1, max_size=3)),
        overrides=draw(overrides(since)),
    )
    return schedule, since, since + timedelta(minutes=EIGHT_WEEKS)


# ---------------------------------------------------------------- the properties


def assert_well_formed(shifts: list[Shift], since: datetime, until: datetime) -> None:
    for shift in shifts:
        assert shift.start.tzinfo is UTC and shift.end.tzinfo is UTC
        assert since <= shift.start < shift.end <= until
    for before, after in pairwise(shifts):
        assert before.end <= after.start, f"overlap: {before} {after}"
        same = (before.user_id, before.source) == (after.user_id, after.source)
        assert not (same and before.end == after.start), f"not merged: {before} {after}"


@pytest.mark.parametrize("zone", ZONES)
@PROPERTY
@given(data=st.data())
def test_final_schedule_equals_the_minute_by_minute_reference(zone: str, data: st.DataObject) -> None:
    schedule, since, until = data.draw(cases(zone))
    shifts = final_schedule(schedule, since, until)
    assert_well_formed(shifts, since, until)

    first, last = minute_of(since), minute_of(until)
    expected = reference(schedule, first, last)
    got = minute_by_minute(shifts, first, last)
    if got != expected:
        at = next(i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e)
        moment = since + timedelta(minutes=at)
        raise AssertionError(f"at {moment.isoformat()}: got {got[at]}, reference {expected[at]}")
    # Covered exactly where some layer or override covers: the reference's "someone" minutes.
    assert [g is not None for g in got] == [e is not None for e in expected]

    spans = sorted(
        [(g.start, g.end) for g in gaps(schedule, since, until)] + [(s.start, s.end) for s in shifts]
    )
    assert [a for a, _ in spans[1:]] == [b for _, b in spans[:-1]] and spans[0][0] == since
    assert spans[-1][1] == until

    for at in data.draw(st.lists(st.integers(0, EIGHT_WEEKS - 1), min_size=3, max_size=6)):
        moment = since + timedelta(minutes=at)
        shift = on_call_at(schedule, moment)
        answer = (shift.user_id, shift.source) if shift else None
        assert answer == expected[at], moment
        if shift is not None:  # the same stretch, though on_call_at may cut it at its reach
            piece = next(s for s in shifts if s.start <= moment < s.end)
            assert piece.start <= max(shift.start, since) and min(shift.end, until) <= piece.end
