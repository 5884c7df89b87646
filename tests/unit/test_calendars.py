"""The iCalendar rendering of shifts, read back with the `icalendar` library."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import icalendar
from vigil.domain.calendars import escaped, folded, render_calendar
from vigil.domain.schedules import Layer, Schedule, Shift, final_schedule

STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def shifts() -> list[Shift]:
    weekly = Layer(
        participants=["ann", "bob"],
        rotation="weekly",
        handoff_time=time(9),
        handoff_day="monday",
        start=utc("2026-02-23T14:00"),
    )
    schedule = Schedule(time_zone="America/New_York", layers=[weekly])
    return final_schedule(schedule, utc("2026-03-01T00:00"), utc("2026-03-22T00:00"))


def events(text: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_each_shift_is_an_event_in_utc() -> None:
    text = render_calendar(
        shifts(), name="Web primary", scope="schedule:web", stamp=STAMP, people={"ann": "Ann Example"}
    )
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"]) == "Web primary"
    found = events(text)
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in found] == [(s.start, s.end) for s in shifts()]
    # The March change: bob's week ends at 09:00 EDT, 13:00Z.
    assert found[1].decoded("DTEND") == utc("2026-03-09T13:00")
    assert all(e.decoded("DTSTART").tzinfo is not None for e in found)
    assert [str(e["SUMMARY"]) for e in found] == [
        "On call: Ann Example (Web primary)",
        "On call: bob (Web primary)",
        "On call: Ann Example (Web primary)",
        "On call: bob (Web primary)",
    ]
    assert {e.decoded("DTSTAMP") for e in found} == {STAMP}
    assert len({str(e["UID"]) for e in found}) == len(found)


def test_the_text_is_crlf_lines_of_at_most_75_octets() -> None:
    name = "Équipe base de données, astreinte; niveau 1 — " * 3
    text = render_calendar(shifts(), name=name, scope="schedule:db", stamp=STAMP)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75
    # icalendar leaves X-WR-CALNAME as it is written (as TEXT, escaped); SUMMARY it unescapes.
    assert str(icalendar.Calendar.from_ical(text)["X-WR-CALNAME"]) == escaped(name)
    assert str(events(text)[0]["SUMMARY"]) == f"On call: ann ({name})"


def test_uids_survive_a_new_rendering_over_a_moved_window() -> None:
    first = events(render_calendar(shifts(), name="x", scope="schedule:web", stamp=STAMP))
    later = shifts()[1:]
    later[-1] = later[-1].model_copy(update={"end": later[-1].end + timedelta(days=7)})
    again = events(render_calendar(later, name="x", scope="schedule:web", stamp=STAMP + timedelta(hours=1)))
    assert [str(e["UID"]) for e in again] == [str(e["UID"]) for e in first[1:]]
    other = events(render_calendar(shifts(), name="x", scope="user:ann", stamp=STAMP))
    assert not {str(e["UID"]) for e in other} & {str(e["UID"]) for e in first}


def test_an_empty_schedule_is_a_valid_calendar() -> None:
    text = render_calendar([], name="Nobody", scope="schedule:none", stamp=STAMP)
    assert events(text) == []
    assert icalendar.Calendar.from_ical(text)["VERSION"] == "2.0"


def test_text_values_are_escaped_and_folding_keeps_characters_whole() -> None:
    assert escaped("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 80
    parts = list(folded(line))
    assert all(len(p.encode()) <= 75 for p in parts)
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line
