"""On-call schedules: layers of rotations, their restrictions, overrides, and the final schedule.

A schedule has a time zone, layers and overrides. A layer rotates its participants, in order,
through turns; its restrictions (windows of the day, optionally per day of week) limit when it
puts anyone on call. Later layers win over earlier ones wherever they have someone on call (as in
PagerDuty); overrides win over every layer, and a later override over an earlier one.

Time rules (all of them deterministic):

- Every instant given to or returned by these functions is timezone-aware; results are in UTC.
- Handoff times and restriction windows are wall-clock times in the schedule's zone.
- `daily` and `weekly` turns are one or seven *calendar* days of that wall clock: a weekly
  handoff on Monday 09:00 America/New_York happens at 09:00 local on both sides of a DST change,
  and a daily turn that spans a change lasts 23 or 25 real hours (23.5 or 24.5 on Lord Howe).
- `custom` turns are `shift_hours` *real* hours, counted from the first handoff; across a DST
  change their wall-clock handoff time moves by the change.
- A wall-clock time that happens twice (clocks going back) means its first occurrence (fold=0).
- A wall-clock time that does not exist (clocks going forward) means the first instant after
  the skipped stretch, i.e. the moment the clocks jump: 02:30 on a New York spring-forward day
  means 03:00 EDT. Equivalently: a wall-clock time X resolves to the first instant whose wall
  clock reads X or later.
- Turn 0 of a layer begins at its last handoff at or before the layer's `start` (the
  participant listed first is on call from `start` until the next handoff).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, Field, WithJsonSchema, field_validator, model_validator

from vigil.domain.model import Model

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
USER_ID = r"^[A-Za-z0-9][A-Za-z0-9_.@+\-]{0,127}$"
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (e.g. "Europe/London"), or ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone name such as 'Europe/London'") from exc


def _valid_zone_name(name: str) -> str:
    time_zone(name)
    return name


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused, since it names no instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; give an offset or Z")
    return moment.astimezone(UTC)


Instant = Annotated[AwareDatetime, AfterValidator(as_utc)]
ZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_valid_zone_name)]


def _wall_clock_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a wall-clock time in the schedule's zone carries no offset")
    if value.microsecond:
        raise ValueError("a wall-clock time is given to the second at most")
    return value


# JSON Schema's "time" format demands an offset, which a wall-clock time never has.
WALL_TIME_SCHEMA = {
    "type": "string",
    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
    "description": "a wall-clock time in the schedule's zone, HH:MM or HH:MM:SS, without an offset",
}
WallTime = Annotated[time, AfterValidator(_wall_clock_time), WithJsonSchema(WALL_TIME_SCHEMA)]


class Restriction(Model):
    """A window, in the schedule's wall clock, in which a layer may put someone on call.

    The window opens at `start` on each of `days` (every day when omitted) and closes at `end`
    the same day, or the next day when `end` is not after `start` (22:00-06:00 runs overnight;
    00:00-00:00 is the whole day)."""

    start: WallTime
    end: WallTime
    days: list[Weekday] | None = Field(default=None, min_length=1, max_length=7)

    def opens_on(self, weekday: int) -> bool:
        return self.days is None or WEEKDAYS[weekday] in self.days


class Layer(Model):
    """Participants taking turns: `daily` and `weekly` turns are calendar days of the schedule's
    wall clock (23 or 25 real hours across a DST change); `custom` turns are `shift_hours` real
    hours. Handoffs happen at `handoff_time` (and, weekly, on `handoff_day`, by default the
    weekday of `start` in the schedule's zone)."""

    name: str | None = Field(default=None, max_length=100)
    participants: list[Annotated[str, Field(pattern=USER_ID)]] = Field(min_length=1, max_length=100)
    rotation: Literal["daily", "weekly", "custom"]
    shift_hours: int | None = Field(default=None, ge=1, le=24 * 366)
    handoff_time: WallTime
    handoff_day: Weekday | None = None
    start: Instant
    end: Instant | None = None
    restrictions: list[Restriction] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> Layer:
        if (self.rotation == "custom") != (self.shift_hours is not None):
            raise ValueError("shift_hours is required with a custom rotation, and only then")
        if self.handoff_day is not None and self.rotation != "weekly":
            raise ValueError("handoff_day applies to weekly rotations only")
        if self.end is not None and self.end <= self.start:
            raise ValueError("a layer's end must be after its start")
        return self


class Override(Model):
    """`user_id` on call over every layer during [start, end)."""

    id: str = Field(min_length=1, max_length=100)
    user_id: str = Field(pattern=USER_ID)
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if self.end <= self.start:
            raise ValueError("an override's end must be after its start")
        return self


class Schedule(Model):
    time_zone: ZoneName
    layers: list[Layer] = Field(min_length=1, max_length=20)
    overrides: list[Override] = Field(default_factory=list, max_length=1000)

    @field_validator("overrides")
    @classmethod
    def _unique_override_ids(cls, overrides: list[Override]) -> list[Override]:
        if len({o.id for o in overrides}) != len(overrides):
            raise ValueError("override ids must be unique")
        return overrides

    @property
    def zone(self) -> ZoneInfo:
        return time_zone(self.time_zone)


class Shift(Model):
    """Who is on call during [start, end), and from which layer ("layer:<index>", the index of the
    layer in the schedule's list from 0) or override ("override:<id>")."""

    user_id: str
    start: datetime
    end: datetime
    source: str


class Gap(Model):
    """A stretch [start, end) with nobody on call."""

    start: datetime
    end: datetime


# ---------------------------------------------------------------- wall clock to instants


def wall_clock(moment: datetime, zone: ZoneInfo) -> datetime:
    """What a wall clock in `zone` reads at `moment` (naive)."""
    return moment.astimezone(zone).replace(tzinfo=None)


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a naive wall-clock time names in `zone`: its first occurrence when the clocks
    go back; the moment the clocks jump when it falls in the stretch they skip going forward."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if wall_clock(first, zone) == wall:
        return first
    before_jump = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return _first_instant_reading(wall, zone, before_jump, first)


def _first_instant_reading(wall: datetime, zone: ZoneInfo, lo: datetime, hi: datetime) -> datetime:
    """The first whole second in (lo, hi] whose wall clock reads `wall` or later, by bisection:
    the clock at `lo` reads earlier and at `hi` later, and it only jumps forward in between."""
    low, high = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if wall_clock(datetime.fromtimestamp(middle, UTC), zone) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


# ---------------------------------------------------------------- rotations


class _Span(NamedTuple):
    start: datetime
    end: datetime
    user_id: str
    source: str


@dataclass(frozen=True)
class _Rotation:
    """One layer's turns: turn k runs from handoff(k) to handoff(k + 1)."""

    layer: Layer
    zone: ZoneInfo
    source: str
    anchor_wall: datetime  # the wall-clock time of handoff(0)
    anchor: datetime  # handoff(0) as an instant

    @property
    def period(self) -> timedelta:
        if self.layer.rotation == "custom":
            return timedelta(hours=self.layer.shift_hours or 0)
        return WEEK if self.layer.rotation == "weekly" else DAY

    def handoff(self, k: int) -> datetime:
        if self.layer.rotation == "custom":
            return self.anchor + k * self.period
        return local_to_utc(self.anchor_wall + k * self.period, self.zone)

    def turn_at(self, moment: datetime) -> int:
        if self.layer.rotation == "custom":
            return (moment - self.anchor) // self.period
        k = (wall_clock(moment, self.zone) - self.anchor_wall) // self.period
        while self.handoff(k + 1) <= moment:
            k += 1
        while self.handoff(k) > moment:
            k -= 1
        return k

    def on_call(self, k: int) -> str:
        return self.layer.participants[k % len(self.layer.participants)]


def _rotation(schedule: Schedule, index: int) -> _Rotation:
    layer, zone = schedule.layers[index], schedule.zone
    anchor_wall = _first_handoff_wall(layer, zone)
    return _Rotation(layer, zone, f"layer:{index}", anchor_wall, local_to_utc(anchor_wall, zone))


def _first_handoff_wall(layer: Layer, zone: ZoneInfo) -> datetime:
    """The wall-clock time of the last handoff at or before the layer's start."""
    started = wall_clock(layer.start, zone)
    wall = datetime.combine(started.date(), layer.handoff_time)
    step = DAY
    if layer.rotation == "weekly":
        step = WEEK
        handoff_day = WEEKDAYS.index(layer.handoff_day) if layer.handoff_day else started.weekday()
        wall -= (wall.weekday() - handoff_day) % 7 * DAY
    return wall - step if local_to_utc(wall, zone) > layer.start else wall


def _turns(rotation: _Rotation, lo: datetime, hi: datetime) -> list[_Span]:
    """The turns of a rotation clipped to [lo, hi): one computation per turn."""
    k, start, spans = rotation.turn_at(lo), lo, []
    while start < hi:
        end = min(rotation.handoff(k + 1), hi)
        spans.append(_Span(start, end, rotation.on_call(k), rotation.source))
        start, k = end, k + 1
    return spans


# ---------------------------------------------------------------- restrictions


def _windows(restrictions: list[Restriction], zone: ZoneInfo, lo: datetime, hi: datetime) -> list[_Span]:
    """The restriction windows meeting [lo, hi), clipped to it and merged (as spans of no one)."""
    day, last_day = wall_clock(lo, zone).date() - DAY, wall_clock(hi, zone).date()
    found = []
    while day <= last_day:
        for restriction in restrictions:
            if restriction.opens_on(day.weekday()):
                overnight = restriction.end <= restriction.start
                opens = local_to_utc(datetime.combine(day, restriction.start), zone)
                closes = local_to_utc(datetime.combine(day + overnight * DAY, restriction.end), zone)
                if opens < hi and closes > lo and opens < closes:
                    found.append(_Span(max(opens, lo), min(closes, hi), "", ""))
        day += DAY
    return _union(found)


def _union(spans: list[_Span]) -> list[_Span]:
    merged: list[_Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            merged[-1] = merged[-1]._replace(end=max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def _within(spans: list[_Span], windows: list[_Span]) -> list[_Span]:
    """The parts of sorted, disjoint `spans` inside sorted, disjoint `windows`."""
    inside, first = [], 0
    for span in spans:
        while first < len(windows) and windows[first].end <= span.start:
            first += 1
        for window in windows[first:]:
            if window.start >= span.end:
                break
            inside.append(span._replace(start=max(span.start, window.start), end=min(span.end, window.end)))
    return inside


def _layer_spans(schedule: Schedule, index: int, since: datetime, until: datetime) -> list[_Span]:
    layer = schedule.layers[index]
    lo, hi = max(since, layer.start), min(until, layer.end or until)
    if lo >= hi:
        return []
    turns = _turns(_rotation(schedule, index), lo, hi)
    if not layer.restrictions:
        return turns
    return _within(turns, _windows(layer.restrictions, schedule.zone, lo, hi))


# ---------------------------------------------------------------- the final schedule


def _sources(schedule: Schedule, since: datetime, until: datetime) -> list[list[_Span]]:
    """Every source of on-call time in [since, until), the one that wins first: overrides (the
    later first), then layers (the later first)."""
    overrides = [
        [_Span(max(o.start, since), min(o.end, until), o.user_id, f"override:{o.id}")]
        for o in reversed(schedule.overrides)
        if o.start < until and o.end > since
    ]
    layers = [_layer_spans(schedule, i, since, until) for i in reversed(range(len(schedule.layers)))]
    return overrides + layers


def _winner(sources: list[list[_Span]], cursors: list[int], moment: datetime) -> _Span | None:
    """The span of the first source covering `moment`; each cursor only moves forward."""
    for i, spans in enumerate(sources):
        while cursors[i] < len(spans) and spans[cursors[i]].end <= moment:
            cursors[i] += 1
        if cursors[i] < len(spans) and spans[cursors[i]].start <= moment:
            return spans[cursors[i]]
    return None


def _layered(sources: list[list[_Span]]) -> list[_Span]:
    """Between consecutive boundaries of any span, the winning source holds the whole stretch."""
    cuts = sorted({moment for spans in sources for span in spans for moment in (span.start, span.end)})
    cursors = [0] * len(sources)
    pieces = []
    for lo, hi in pairwise(cuts):
        winner = _winner(sources, cursors, lo)
        if winner is not None:
            pieces.append(winner._replace(start=lo, end=hi))
    return _joined(pieces)


def _joined(pieces: list[_Span]) -> list[_Span]:
    """Adjacent pieces of the same person from the same source, as one."""
    joined: list[_Span] = []
    for piece in pieces:
        last = joined[-1] if joined else None
        if last and last.end == piece.start and (last.user_id, last.source) == (piece.user_id, piece.source):
            joined[-1] = last._replace(end=piece.end)
        else:
            joined.append(piece)
    return joined


def final_schedule(schedule: Schedule, since: datetime, until: datetime) -> list[Shift]:
    """Who is on call during [since, until), in order, without overlaps, clipped to the range;
    stretches with nobody on call are absent (see `gaps`)."""
    since, until = as_utc(since), as_utc(until)
    if until <= since:
        return []
    return [
        Shift(user_id=span.user_id, start=span.start, end=span.end, source=span.source)
        for span in _layered(_sources(schedule, since, until))
    ]


def _longest_turn(schedule: Schedule) -> timedelta:
    return max((_rotation(schedule, i).period for i in range(len(schedule.layers))), default=DAY)


def on_call_at(schedule: Schedule, at: datetime) -> Shift | None:
    """The shift of the final schedule in effect at `at`, or None when nobody is on call.

    Costs a final schedule over one longest turn (plus two hours for DST) either side of `at`,
    widened to any override in effect: the shift's start and end are exact unless the same
    person's time from the same source runs on beyond that reach, where they are cut at it."""
    at = as_utc(at)
    reach = _longest_turn(schedule) + timedelta(hours=2)
    covering = [o for o in schedule.overrides if o.start <= at < o.end]
    since = min([at - reach, *(o.start for o in covering)])
    until = max([at + reach, *(o.end for o in covering)])
    return next((s for s in final_schedule(schedule, since, until) if s.start <= at < s.end), None)


def gaps(schedule: Schedule, since: datetime, until: datetime) -> list[Gap]:
    """The stretches of [since, until) with nobody on call."""
    since, until = as_utc(since), as_utc(until)
    found, cursor = [], since
    for shift in final_schedule(schedule, since, until):
        if shift.start > cursor:
            found.append(Gap(start=cursor, end=shift.start))
        cursor = shift.end
    if cursor < until:
        found.append(Gap(start=cursor, end=until))
    return found
