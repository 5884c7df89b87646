"""Named cases of the schedule rules: handoffs in local wall-clock time across DST changes (New
York, London, Lord Howe's 30-minute change, Kolkata without DST), skipped and repeated handoff
times, restrictions, layering, overrides spanning a handoff, gaps and validation. Every expected
instant is worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from vigil.domain.schedules import (
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    final_schedule,
    gaps,
    local_to_utc,
    on_call_at,
    time_zone,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def layer(**fields: Any) -> Layer:
    fields.setdefault("participants", ["ann", "bob"])
    fields.setdefault("handoff_time", time(9, 0))
    return Layer(**fields)


def table(shifts: list[Shift]) -> list[tuple[str, str, str, str]]:
    def short(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M")

    return [(s.user_id, short(s.start), short(s.end), s.source) for s in shifts]


def hours(shift: Shift) -> float:
    return (shift.end - shift.start) / timedelta(hours=1)


# ---------------------------------------------------------------- New York, weekly Monday 09:00


def new_york_weekly(**extra: Any) -> Schedule:
    # Monday 2026-02-23 09:00 EST (UTC-5) is 14:00Z.
    weekly = layer(rotation="weekly", handoff_day="monday", start=utc("2026-02-23T14:00"))
    return Schedule(time_zone="America/New_York", layers=[weekly], **extra)


def test_weekly_monday_0900_new_york_hands_off_at_0900_local_across_the_march_change() -> None:
    # Clocks go forward on Sunday 2026-03-08: Monday 09:00 is 14:00Z before, 13:00Z after.
    shifts = final_schedule(new_york_weekly(), utc("2026-02-23T14:00"), utc("2026-03-23T13:00"))
    assert table(shifts) == [
        ("ann", "2026-02-23 14:00", "2026-03-02 14:00", "layer:0"),
        ("bob", "2026-03-02 14:00", "2026-03-09 13:00", "layer:0"),
        ("ann", "2026-03-09 13:00", "2026-03-16 13:00", "layer:0"),
        ("bob", "2026-03-16 13:00", "2026-03-23 13:00", "layer:0"),
    ]
    assert hours(shifts[1]) == 167


def test_weekly_monday_0900_new_york_hands_off_at_0900_local_across_the_november_change() -> None:
    # Clocks go back on Sunday 2026-11-01: Monday 09:00 is 13:00Z before, 14:00Z after.
    shifts = final_schedule(new_york_weekly(), utc("2026-10-26T13:00"), utc("2026-11-09T14:00"))
    assert [(s.start, s.end) for s in shifts] == [
        (utc("2026-10-26T13:00"), utc("2026-11-02T14:00")),
        (utc("2026-11-02T14:00"), utc("2026-11-09T14:00")),
    ]
    assert hours(shifts[0]) == 169
    # 35 weeks after the start: turn 35 is bob's.
    assert [s.user_id for s in shifts] == ["bob", "ann"]


def test_the_handoff_day_defaults_to_the_weekday_of_the_start_in_the_schedule_zone() -> None:
    # 2026-03-03T03:00Z is Monday 22:00 in New York (Tuesday in UTC): handoffs on Mondays 09:00.
    weekly = layer(rotation="weekly", start=utc("2026-03-03T03:00"))
    schedule = Schedule(time_zone="America/New_York", layers=[weekly])
    shifts = final_schedule(schedule, utc("2026-03-03T03:00"), utc("2026-03-17T00:00"))
    assert [s.start for s in shifts[1:]] == [utc("2026-03-09T13:00"), utc("2026-03-16T13:00")]


# ---------------------------------------------------------------- 24-hour shifts across DST


@pytest.mark.parametrize(
    ("zone", "since", "until", "length"),
    [
        # New York: Saturday 09:00 EST (14:00Z) to Sunday 09:00 EDT (13:00Z), 23 hours.
        ("America/New_York", "2026-03-07T14:00", "2026-03-08T13:00", 23),
        # Saturday 09:00 EDT (13:00Z) to Sunday 09:00 EST (14:00Z), 25 hours.
        ("America/New_York", "2026-10-31T13:00", "2026-11-01T14:00", 25),
        # London: Saturday 09:00 GMT to Sunday 09:00 BST (08:00Z), and back in October.
        ("Europe/London", "2026-03-28T09:00", "2026-03-29T08:00", 23),
        ("Europe/London", "2026-10-24T08:00", "2026-10-25T09:00", 25),
        # Lord Howe moves by 30 minutes: 09:00 at +10:30 is 22:30Z the day before, at +11 22:00Z.
        ("Australia/Lord_Howe", "2026-10-02T22:30", "2026-10-03T22:00", 23.5),
        ("Australia/Lord_Howe", "2026-04-03T22:00", "2026-04-04T22:30", 24.5),
    ],
)
def test_a_daily_shift_spanning_a_dst_change_lasts_the_wall_clock_day(
    zone: str, since: str, until: str, length: float
) -> None:
    daily = layer(rotation="daily", participants=["ann", "bob", "cat"], start=utc("2026-01-01T00:00"))
    schedule = Schedule(time_zone=zone, layers=[daily])
    shift = on_call_at(schedule, utc(since) + timedelta(hours=1))
    assert shift is not None
    assert (shift.start, shift.end, hours(shift)) == (utc(since), utc(until), length)


def test_a_custom_24_hour_rotation_is_24_real_hours_so_its_local_handoff_moves() -> None:
    # Handoff 09:00 EST (14:00Z) on 2026-03-06; 24 real hours later each time: 14:00Z, so 10:00
    # EDT from 2026-03-08 on.
    custom = layer(rotation="custom", shift_hours=24, start=utc("2026-03-06T14:00"))
    schedule = Schedule(time_zone="America/New_York", layers=[custom])
    shifts = final_schedule(schedule, utc("2026-03-06T14:00"), utc("2026-03-10T14:00"))
    assert [s.start.hour for s in shifts] == [14, 14, 14, 14]
    assert {hours(s) for s in shifts} == {24}


# ---------------------------------------------------------------- skipped and repeated times


def test_a_handoff_in_the_skipped_hour_happens_when_the_clocks_jump() -> None:
    # New York 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00Z; 02:30 does not exist.
    new_york = time_zone("America/New_York")
    assert local_to_utc(datetime(2026, 3, 8, 2, 30), new_york) == utc("2026-03-08T07:00")
    daily = layer(rotation="daily", handoff_time=time(2, 30), start=utc("2026-03-01T12:00"))
    schedule = Schedule(time_zone="America/New_York", layers=[daily])
    shifts = final_schedule(schedule, utc("2026-03-07T00:00"), utc("2026-03-10T00:00"))
    # 02:30 EST is 07:30Z; on the 8th the jump at 07:00Z; 02:30 EDT is 06:30Z.
    assert [s.start for s in shifts[1:]] == [
        utc("2026-03-07T07:30"),
        utc("2026-03-08T07:00"),
        utc("2026-03-09T06:30"),
    ]


def test_a_handoff_in_the_repeated_hour_happens_at_its_first_occurrence() -> None:
    # New York 2026-11-01: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST): the first.
    assert local_to_utc(datetime(2026, 11, 1, 1, 30), time_zone("America/New_York")) == utc(
        "2026-11-01T05:30"
    )
    # London 2026-10-25: 01:30 BST is 00:30Z, 01:30 GMT 01:30Z.
    assert local_to_utc(datetime(2026, 10, 25, 1, 30), time_zone("Europe/London")) == utc("2026-10-25T00:30")


def test_lord_howe_skipped_and_repeated_half_hours() -> None:
    lord_howe = time_zone("Australia/Lord_Howe")
    # 2026-10-04 02:00 (+10:30, 15:30Z the day before) jumps to 02:30 (+11): 02:15 means 15:30Z.
    assert local_to_utc(datetime(2026, 10, 4, 2, 15), lord_howe) == utc("2026-10-03T15:30")
    assert local_to_utc(datetime(2026, 10, 4, 2, 30), lord_howe) == utc("2026-10-03T15:30")
    # 2026-04-05 02:00 (+11) goes back to 01:30 (+10:30): 01:45 first at +11, 14:45Z.
    assert local_to_utc(datetime(2026, 4, 5, 1, 45), lord_howe) == utc("2026-04-04T14:45")
    daily = layer(rotation="daily", handoff_time=time(2, 15), start=utc("2026-09-01T00:00"))
    schedule = Schedule(time_zone="Australia/Lord_Howe", layers=[daily])
    shifts = final_schedule(schedule, utc("2026-10-02T00:00"), utc("2026-10-05T00:00"))
    # 02:15 at +10:30 is 15:45Z; the jump at 15:30Z; 02:15 at +11 is 15:15Z.
    assert [s.start for s in shifts[1:]] == [
        utc("2026-10-02T15:45"),
        utc("2026-10-03T15:30"),
        utc("2026-10-04T15:15"),
    ]
    assert [hours(s) for s in shifts[1:3]] == [23.75, 23.75]


# ---------------------------------------------------------------- Kolkata


def test_kolkata_weekly_handoffs_stay_at_0330z_while_other_zones_change() -> None:
    weekly = layer(rotation="weekly", handoff_day="monday", start=utc("2026-02-23T03:30"))
    business = Restriction(start=time(9, 0), end=time(17, 0), days=["monday", "tuesday"])
    hours_layer = layer(
        rotation="daily", participants=["cat"], start=utc("2026-02-23T03:30"), restrictions=[business]
    )
    schedule = Schedule(time_zone="Asia/Kolkata", layers=[weekly, hours_layer])
    shifts = final_schedule(schedule, utc("2026-03-02T03:30"), utc("2026-03-16T03:30"))
    # 09:00 IST is 03:30Z and 17:00 IST is 11:30Z, whatever New York or London do.
    assert table(shifts) == [
        ("cat", "2026-03-02 03:30", "2026-03-02 11:30", "layer:1"),
        ("bob", "2026-03-02 11:30", "2026-03-03 03:30", "layer:0"),
        ("cat", "2026-03-03 03:30", "2026-03-03 11:30", "layer:1"),
        ("bob", "2026-03-03 11:30", "2026-03-09 03:30", "layer:0"),
        ("cat", "2026-03-09 03:30", "2026-03-09 11:30", "layer:1"),
        ("ann", "2026-03-09 11:30", "2026-03-10 03:30", "layer:0"),
        ("cat", "2026-03-10 03:30", "2026-03-10 11:30", "layer:1"),
        ("ann", "2026-03-10 11:30", "2026-03-16 03:30", "layer:0"),
    ]
    assert {hours(s) for s in shifts if s.user_id == "cat"} == {8}


# ---------------------------------------------------------------- restrictions and layers


def test_a_weekday_business_hours_layer_overrides_the_layer_below_in_local_hours() -> None:
    everyone = layer(rotation="weekly", handoff_day="monday", start=utc("2026-02-23T14:00"))
    weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    business = layer(
        rotation="daily",
        participants=["cat"],
        start=utc("2026-02-23T14:00"),
        restrictions=[Restriction(start=time(9, 0), end=time(17, 0), days=weekdays)],
    )
    schedule = Schedule(time_zone="America/New_York", layers=[everyone, business])
    shifts = final_schedule(schedule, utc("2026-03-06T00:00"), utc("2026-03-10T00:00"))
    # Friday 09:00-17:00 EST is 14:00-22:00Z; Monday 09:00-17:00 EDT is 13:00-21:00Z, and bob
    # hands over to ann at 13:00Z, under cat's hours.
    assert table(shifts) == [
        ("bob", "2026-03-06 00:00", "2026-03-06 14:00", "layer:0"),
        ("cat", "2026-03-06 14:00", "2026-03-06 22:00", "layer:1"),
        ("bob", "2026-03-06 22:00", "2026-03-09 13:00", "layer:0"),
        ("cat", "2026-03-09 13:00", "2026-03-09 21:00", "layer:1"),
        ("ann", "2026-03-09 21:00", "2026-03-10 00:00", "layer:0"),
    ]


def test_an_overnight_restriction_runs_past_midnight_and_leaves_gaps() -> None:
    nights = layer(
        rotation="daily",
        participants=["eve"],
        start=utc("2026-03-01T00:00"),
        restrictions=[Restriction(start=time(22, 0), end=time(6, 0), days=["friday"])],
    )
    schedule = Schedule(time_zone="UTC", layers=[nights])
    since, until = utc("2026-03-05T00:00"), utc("2026-03-08T00:00")
    assert table(final_schedule(schedule, since, until)) == [
        ("eve", "2026-03-06 22:00", "2026-03-07 06:00", "layer:0"),
    ]
    assert [(g.start, g.end) for g in gaps(schedule, since, until)] == [
        (since, utc("2026-03-06T22:00")),
        (utc("2026-03-07T06:00"), until),
    ]
    assert on_call_at(schedule, utc("2026-03-07T12:00")) is None


def test_a_restriction_from_midnight_to_midnight_is_the_whole_day() -> None:
    whole_days = Restriction(start=time(0, 0), end=time(0, 0), days=["saturday", "sunday"])
    weekends = layer(
        rotation="weekly", participants=["eve"], start=utc("2026-03-01T00:00"), restrictions=[whole_days]
    )
    schedule = Schedule(time_zone="Europe/London", layers=[weekends])
    # Saturday 00:00 GMT to Monday 00:00 BST (the clocks go forward on Sunday 29 March): 47 hours.
    shifts = final_schedule(schedule, utc("2026-03-23T00:00"), utc("2026-03-31T00:00"))
    assert table(shifts) == [("eve", "2026-03-28 00:00", "2026-03-29 23:00", "layer:0")]
    assert hours(shifts[0]) == 47


def test_a_layer_ends_and_the_one_below_shows_through() -> None:
    base = layer(rotation="daily", participants=["ann"], start=utc("2026-03-01T09:00"))
    cover = layer(
        rotation="daily", participants=["bob"], start=utc("2026-03-02T09:00"), end=utc("2026-03-03T12:00")
    )
    schedule = Schedule(time_zone="UTC", layers=[base, cover])
    assert table(final_schedule(schedule, utc("2026-03-01T09:00"), utc("2026-03-04T09:00"))) == [
        ("ann", "2026-03-01 09:00", "2026-03-02 09:00", "layer:0"),
        ("bob", "2026-03-02 09:00", "2026-03-03 12:00", "layer:1"),
        ("ann", "2026-03-03 12:00", "2026-03-04 09:00", "layer:0"),
    ]


# ---------------------------------------------------------------- overrides


def test_an_override_spanning_a_handoff_splits_both_turns() -> None:
    # ann's turn ends at the handoff Monday 2026-03-02 09:00 EST (14:00Z); cat covers Sunday
    # 15:00 to Monday 12:00 EST.
    cat = Override(id="o1", user_id="cat", start=utc("2026-03-01T20:00"), end=utc("2026-03-02T17:00"))
    schedule = new_york_weekly(overrides=[cat])
    assert table(final_schedule(schedule, utc("2026-02-28T00:00"), utc("2026-03-04T00:00"))) == [
        ("ann", "2026-02-28 00:00", "2026-03-01 20:00", "layer:0"),
        ("cat", "2026-03-01 20:00", "2026-03-02 17:00", "override:o1"),
        ("bob", "2026-03-02 17:00", "2026-03-04 00:00", "layer:0"),
    ]


def test_an_override_spanning_the_dst_shifted_handoff_and_one_inside_a_turn() -> None:
    # The handoff of Monday 2026-03-09 is at 13:00Z (09:00 EDT); dan covers 12:00-14:00Z; eve an
    # hour in the middle of ann's turn, which resumes after her.
    dan = Override(id="o1", user_id="dan", start=utc("2026-03-09T12:00"), end=utc("2026-03-09T14:00"))
    eve = Override(id="o2", user_id="eve", start=utc("2026-03-11T10:00"), end=utc("2026-03-11T11:00"))
    schedule = new_york_weekly(overrides=[dan, eve])
    assert table(final_schedule(schedule, utc("2026-03-09T00:00"), utc("2026-03-12T00:00"))) == [
        ("bob", "2026-03-09 00:00", "2026-03-09 12:00", "layer:0"),
        ("dan", "2026-03-09 12:00", "2026-03-09 14:00", "override:o1"),
        ("ann", "2026-03-09 14:00", "2026-03-11 10:00", "layer:0"),
        ("eve", "2026-03-11 10:00", "2026-03-11 11:00", "override:o2"),
        ("ann", "2026-03-11 11:00", "2026-03-12 00:00", "layer:0"),
    ]
    at = on_call_at(schedule, utc("2026-03-09T13:30"))
    assert at is not None and (at.user_id, at.source) == ("dan", "override:o1")


def test_the_later_of_two_overlapping_overrides_wins() -> None:
    first = Override(id="a", user_id="cat", start=utc("2026-03-03T00:00"), end=utc("2026-03-03T12:00"))
    second = Override(id="b", user_id="dan", start=utc("2026-03-03T06:00"), end=utc("2026-03-03T08:00"))
    schedule = new_york_weekly(overrides=[first, second])
    assert table(final_schedule(schedule, utc("2026-03-03T00:00"), utc("2026-03-03T12:00"))) == [
        ("cat", "2026-03-03 00:00", "2026-03-03 06:00", "override:a"),
        ("dan", "2026-03-03 06:00", "2026-03-03 08:00", "override:b"),
        ("cat", "2026-03-03 08:00", "2026-03-03 12:00", "override:a"),
    ]


# ---------------------------------------------------------------- reach, merging, validation


def test_a_layer_started_decades_ago_is_resolved_by_arithmetic() -> None:
    # Daily at 00:00 UTC since 2000-01-01 (ann): 2026-03-01 is day 9556, and 9556 % 3 == 1: bob.
    daily = layer(
        rotation="daily",
        participants=["ann", "bob", "cat"],
        handoff_time=time(0),
        start=utc("2000-01-01T00:00"),
    )
    schedule = Schedule(time_zone="UTC", layers=[daily])
    shift = on_call_at(schedule, utc("2026-03-01T12:00"))
    assert shift is not None
    assert (shift.user_id, shift.start, shift.end) == (
        "bob",
        utc("2026-03-01T00:00"),
        utc("2026-03-02T00:00"),
    )


def test_one_person_rotating_alone_is_one_shift() -> None:
    alone = layer(rotation="daily", participants=["ann"], start=utc("2026-03-01T00:00"))
    schedule = Schedule(time_zone="Europe/London", layers=[alone])
    assert table(final_schedule(schedule, utc("2026-03-20T00:00"), utc("2026-04-10T00:00"))) == [
        ("ann", "2026-03-20 00:00", "2026-04-10 00:00", "layer:0"),
    ]


def test_results_are_utc_whatever_zone_the_arguments_carry() -> None:
    new_york = time_zone("America/New_York")
    shifts = final_schedule(
        new_york_weekly(), datetime(2026, 3, 2, 9, tzinfo=new_york), utc("2026-03-03T00:00")
    )
    assert shifts[0].start == utc("2026-03-02T14:00") and shifts[0].start.tzinfo is UTC


@pytest.mark.parametrize(
    "fields",
    [
        {"rotation": "custom", "start": "2026-03-01T00:00:00Z"},
        {"rotation": "daily", "shift_hours": 12, "start": "2026-03-01T00:00:00Z"},
        {"rotation": "daily", "handoff_day": "monday", "start": "2026-03-01T00:00:00Z"},
        {"rotation": "daily", "start": "2026-03-01T00:00:00"},
        {"rotation": "daily", "start": "2026-03-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"},
        {"rotation": "daily", "start": "2026-03-01T00:00:00Z", "participants": []},
        {"rotation": "daily", "start": "2026-03-01T00:00:00Z", "handoff_time": "09:00+01:00"},
        {"rotation": "daily", "start": "2026-03-01T00:00:00Z", "handoff_time": "09:00:00.5"},
    ],
)
def test_inconsistent_layers_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Layer.model_validate({"participants": ["ann"], "handoff_time": "09:00", **fields})


def test_unknown_zones_naive_instants_and_duplicate_overrides_are_refused() -> None:
    daily = layer(rotation="daily", start=utc("2026-03-01T00:00"))
    for zone in ["Mars/Olympus_Mons", "../../etc/passwd", ""]:
        with pytest.raises(ValidationError):
            Schedule(time_zone=zone, layers=[daily])
    same = Override(id="o", user_id="ann", start=utc("2026-03-01T00:00"), end=utc("2026-03-02T00:00"))
    with pytest.raises(ValidationError):
        Schedule(time_zone="UTC", layers=[daily], overrides=[same, same])
    with pytest.raises(ValueError, match="no time zone"):
        final_schedule(
            Schedule(time_zone="UTC", layers=[daily]), datetime(2026, 3, 1), utc("2026-03-02T00:00")
        )


def test_a_schedule_round_trips_as_json() -> None:
    business = Restriction(start=time(9, 0), end=time(17, 30), days=["monday", "friday"])
    hours_layer = layer(
        rotation="custom", shift_hours=12, start=utc("2026-03-01T00:00"), restrictions=[business]
    )
    cover = Override(id="o1", user_id="cat", start=utc("2026-03-02T00:00"), end=utc("2026-03-03T00:00"))
    schedule = new_york_weekly(overrides=[cover])
    schedule = schedule.model_copy(update={"layers": [*schedule.layers, hours_layer]})
    again = Schedule.model_validate_json(schedule.model_dump_json())
    assert again == schedule
    assert final_schedule(again, utc("2026-03-01T00:00"), utc("2026-03-15T00:00")) == final_schedule(
        schedule, utc("2026-03-01T00:00"), utc("2026-03-15T00:00")
    )
