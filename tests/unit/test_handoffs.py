"""Handoffs, the pure part: who goes on and comes off call at which instant (local wall-clock
time across DST changes, overrides, a person covering themselves, gaps), which steps of a
person's rules tell them, and what the notice says on each channel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil.domain.handoffs import (
    Handoff,
    HandoffNotice,
    OpenIncident,
    handoff_event,
    handoffs_between,
    notice_html,
    notice_lines,
    notice_sms,
    notice_steps,
    notice_subject,
)
from vigil.domain.people import Person
from vigil.domain.schedules import Layer, Override, Restriction, Schedule, time_zone, wall_clock

from tests.unit.test_schedules_properties import EIGHT_WEEKS, PROPERTY, ZONES, cases, minute_of, reference

NEW_YORK = time_zone("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def around(moment: str, minutes: int = 5) -> tuple[datetime, datetime]:
    at = utc(moment)
    return at - timedelta(minutes=minutes), at + timedelta(minutes=minutes)


def brief(handoffs: list[Handoff]) -> list[tuple[str, str, str, str | None]]:
    return [(h.user_id, h.direction, h.at.strftime("%m-%d %H:%M"), h.other) for h in handoffs]


def weekly_new_york(**extra: object) -> Schedule:
    # Monday 2026-02-23 09:00 EST is 14:00Z.
    layer = Layer(
        participants=["ann", "bob"],
        rotation="weekly",
        handoff_day="monday",
        handoff_time=time(9, 0),
        start=utc("2026-02-23T14:00"),
    )
    return Schedule(time_zone="America/New_York", layers=[layer], **extra)  # type: ignore[arg-type]


def test_a_weekly_0900_new_york_handoff_stays_at_0900_local_across_the_march_change() -> None:
    schedule = weekly_new_york()
    # Monday 2 March, before the change (EST, UTC-5): 14:00Z.
    before = handoffs_between(schedule, *around("2026-03-02T14:00"))
    assert brief(before) == [("ann", "off", "03-02 14:00", "bob"), ("bob", "on", "03-02 14:00", "ann")]
    # Monday 9 March, after the change of Sunday 8 March (EDT, UTC-4): 13:00Z, not 14:00Z.
    after = handoffs_between(schedule, *around("2026-03-09T13:00"))
    assert brief(after) == [("bob", "off", "03-09 13:00", "ann"), ("ann", "on", "03-09 13:00", "bob")]
    assert handoffs_between(schedule, *around("2026-03-09T14:00")) == []
    assert {wall_clock(h.at, NEW_YORK).time() for h in before + after} == {time(9, 0)}


def test_and_across_the_november_change() -> None:
    # Clocks go back on Sunday 1 November 2026: Monday 2 November 09:00 EST is 14:00Z.
    handoffs = handoffs_between(weekly_new_york(), *around("2026-11-02T14:00"))
    assert [h.direction for h in handoffs] == ["off", "on"]
    assert wall_clock(handoffs[0].at, NEW_YORK).time() == time(9, 0)
    assert handoffs_between(weekly_new_york(), *around("2026-11-02T13:00")) == []


def test_the_window_is_half_open_and_nothing_between_handoffs() -> None:
    schedule = weekly_new_york()
    assert handoffs_between(schedule, utc("2026-03-02T14:00"), utc("2026-03-02T14:01")) != []
    assert handoffs_between(schedule, utc("2026-03-02T13:59"), utc("2026-03-02T14:00")) == []
    assert handoffs_between(schedule, utc("2026-03-04T00:00"), utc("2026-03-05T00:00")) == []


def test_an_override_hands_off_to_its_person_and_back() -> None:
    cover = Override(id="cover", user_id="cy", start=utc("2026-03-04T10:00"), end=utc("2026-03-04T10:30"))
    schedule = weekly_new_york(overrides=[cover])
    assert brief(handoffs_between(schedule, utc("2026-03-04T09:55"), utc("2026-03-04T10:35"))) == [
        ("bob", "off", "03-04 10:00", "cy"),  # Bob's week began on Monday
        ("cy", "on", "03-04 10:00", "bob"),
        ("cy", "off", "03-04 10:30", "bob"),
        ("bob", "on", "03-04 10:30", "cy"),
    ]
    [on] = [h for h in handoffs_between(schedule, *around("2026-03-04T10:00")) if h.direction == "on"]
    assert on.source == "override:cover"


def test_an_override_of_the_person_already_on_call_is_no_handoff() -> None:
    # Ann covers the weekly handoff to Bob: she stays on call through it, from override to layer.
    keep = Override(id="keep", user_id="ann", start=utc("2026-03-02T12:00"), end=utc("2026-03-02T16:00"))
    schedule = weekly_new_york(overrides=[keep])
    assert handoffs_between(schedule, utc("2026-03-02T11:00"), utc("2026-03-02T15:00")) == []
    assert brief(handoffs_between(schedule, *around("2026-03-02T16:00"))) == [
        ("ann", "off", "03-02 16:00", "bob"),
        ("bob", "on", "03-02 16:00", "ann"),
    ]


def test_a_shift_into_a_gap_is_an_off_handoff_to_nobody() -> None:
    office = Layer(
        participants=["ann"],
        rotation="daily",
        handoff_time=time(9, 0),
        start=utc("2026-03-01T00:00"),
        restrictions=[Restriction(start=time(9, 0), end=time(17, 0))],
    )
    schedule = Schedule(time_zone="UTC", layers=[office])
    assert brief(handoffs_between(schedule, *around("2026-03-04T17:00"))) == [
        ("ann", "off", "03-04 17:00", None)
    ]
    assert brief(handoffs_between(schedule, *around("2026-03-05T09:00"))) == [
        ("ann", "on", "03-05 09:00", None)
    ]


@pytest.mark.parametrize("zone", ZONES)
@PROPERTY
@given(data=st.data())
def test_handoffs_are_the_changes_of_person_in_the_minute_by_minute_reference(
    zone: str, data: st.DataObject
) -> None:
    """For random layered schedules with restrictions and overrides (those of the final
    schedule's property tests), the handoffs of any window are exactly the minutes at which the
    reference's person on call changes: who it was comes off, who it is goes on."""
    schedule, since, until = data.draw(cases(zone))
    everyone = [who[0] if who else None for who in reference(schedule, minute_of(since), minute_of(until))]
    offset = data.draw(st.integers(1, EIGHT_WEEKS - 3 * 1440))
    length = data.draw(st.integers(1, 3 * 1440))
    start, end = since + timedelta(minutes=offset), since + timedelta(minutes=offset + length)
    expected = []
    for minute, (before, after) in enumerate(pairwise(everyone[offset - 1 : offset + length]), start=offset):
        at = since + timedelta(minutes=minute)
        if before != after:
            expected += [(before, "off", at, after)] if before else []
            expected += [(after, "on", at, before)] if after else []
    got = [(h.user_id, h.direction, h.at, h.other) for h in handoffs_between(schedule, start, end)]
    assert got == expected


# ----------------------------------------------------------------------------- who is told how

PERSON = {
    "user_id": "ann",
    "name": "Ann",
    "email": "ann@example.com",
    "time_zone": "America/New_York",
    "contact_methods": [
        {"id": "mail", "type": "email", "address": "ann.work@example.com"},
        {"id": "phone", "type": "sms", "address": "+15550100100"},
        {"id": "chat", "type": "slack", "address": "U024BE7LH"},
    ],
}


def person(**rules: list[dict[str, object]]) -> Person:
    return Person.model_validate({**PERSON, "notification_rules": rules})


def test_a_handoff_is_told_by_the_low_urgency_steps_at_zero_minutes_only() -> None:
    ann = person(
        low=[
            {"contact_method_id": "chat", "after_minutes": 0},
            {"contact_method_id": "mail", "after_minutes": 0},
            {"contact_method_id": "phone", "after_minutes": 5},
        ],
        high=[{"contact_method_id": "phone", "after_minutes": 0}],
    )
    steps = notice_steps(ann)
    assert [(s.contact_method.type, s.after_minutes) for s in steps] == [("email", 0)]


def test_without_low_urgency_rules_the_high_ones_then_an_email() -> None:
    high_only = person(high=[{"contact_method_id": "phone", "after_minutes": 0}])
    assert [s.contact_method.address for s in notice_steps(high_only)] == ["+15550100100"]
    later_only = person(low=[{"contact_method_id": "phone", "after_minutes": 10}])
    assert [s.contact_method.address for s in notice_steps(later_only)] == ["ann@example.com"]


def notice(**fields: object) -> HandoffNotice:
    values: dict[str, object] = {
        "schedule_id": "sch_1",
        "schedule_name": "Payments",
        "user_id": "ann",
        "time_zone": "America/New_York",
        "direction": "on",
        "at": utc("2026-03-09T13:00"),
        "other": "bob",
        "open_incidents": [
            OpenIncident(
                incident_id="inc_1", title="card <payments> failing", severity="critical", status="open"
            )
        ],
        "open_count": 1,
    }
    return HandoffNotice.model_validate(values | fields)


def test_the_notice_says_when_in_the_persons_time_and_what_is_open() -> None:
    on = notice()
    assert notice_subject(on) == "Handoff: you are on call for Payments from Mon 09 Mar 09:00 EDT"
    assert notice_lines(on)[1:] == [
        "You take over from bob.",
        "",
        "Open incidents (1):",
        "- [CRITICAL] inc_1: card <payments> failing (open)",
    ]
    assert "card &lt;payments&gt; failing" in notice_html(on)
    off = notice(direction="off", other=None, open_incidents=[], open_count=0)
    assert notice_lines(off)[1:] == ["Nobody takes over: the schedule has a gap.", "", "No incident is open."]


def test_a_long_list_is_cut_and_an_sms_fits_in_160_characters() -> None:
    many = notice(schedule_name="A very long schedule name " * 6, open_count=45)
    assert notice_lines(many)[-1] == "... and 44 more"
    text = notice_sms(many)
    assert len(text) <= 160 and text.startswith("Handoff:") and text.endswith("Open incidents: 45.")


def test_the_webhook_body_is_versioned_and_carries_the_notice() -> None:
    message = {"delivery_id": "dlv_1", "team": "user:ann", "handoff": notice().model_dump(mode="json")}
    body = handoff_event(message)
    assert (body["schema"], body["event"], body["team"]) == ("vigil.handoff.v1", "handoff.on", "user:ann")
    assert body["handoff"]["at"] == "2026-03-09T13:00:00Z"
    assert body["handoff"]["open_incidents"][0]["incident_id"] == "inc_1"
