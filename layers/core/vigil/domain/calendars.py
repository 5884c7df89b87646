"""On-call shifts as an iCalendar (RFC 5545) document, for Google Calendar and Outlook to subscribe to.

Pure text building, no library: one VEVENT per shift with times in UTC. An event's UID is a hash
of the calendar's scope, the person, the source and the start, so a feed rendered again (over a
window that has moved on, or after the shift's end changed) updates events instead of adding
copies. Events are TRANSPARENT: being on call does not show as busy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from vigil.domain.schedules import Shift, as_utc

PRODID = "-//Vigil//On-call schedules//EN"
FOLD_AT = 75  # octets per line, CRLF excluded (RFC 5545 3.1)


def render_calendar(
    shifts: Sequence[Shift],
    *,
    name: str,
    scope: str,
    stamp: datetime,
    people: Mapping[str, str] | None = None,
    domain: str = "vigil",
) -> str:
    """The VCALENDAR text of `shifts`: `name` is the calendar's title, `scope` what it is the
    feed of (e.g. "schedule:sch_1" or "user:ann"), `stamp` the time of rendering (DTSTAMP),
    `people` the display names by user id."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escaped(name)}",
        f"NAME:{escaped(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for shift in shifts:
        lines += _event(shift, name=name, scope=scope, stamp=stamp, people=people or {}, domain=domain)
    lines.append("END:VCALENDAR")
    return "".join(f"{part}\r\n" for line in lines for part in folded(line))


def _event(
    shift: Shift, *, name: str, scope: str, stamp: datetime, people: Mapping[str, str], domain: str
) -> list[str]:
    person = people.get(shift.user_id, shift.user_id)
    return [
        "BEGIN:VEVENT",
        f"UID:{event_uid(scope, shift)}@{domain}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(shift.start)}",
        f"DTEND:{utc_stamp(shift.end)}",
        f"SUMMARY:{escaped(f'On call: {person} ({name})')}",
        f"DESCRIPTION:{escaped(f'{person} is on call for {name}, from {shift.source}.')}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def event_uid(scope: str, shift: Shift) -> str:
    key = "\n".join([scope, shift.user_id, shift.source, utc_stamp(shift.start)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form (RFC 5545 3.3.5), e.g. 20260309T130000Z."""
    return as_utc(moment).strftime("%Y%m%dT%H%M%SZ")


def escaped(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, newlines as \\n."""
    for plain, escape in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\r\n", "\\n"), ("\n", "\\n")):
        text = text.replace(plain, escape)
    return text.replace("\r", "\\n")


def folded(line: str) -> Iterator[str]:
    """`line` cut into lines of at most 75 octets, continuations starting with a space, never
    inside a UTF-8 character (RFC 5545 3.1)."""
    part, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > FOLD_AT:
            yield part
            part, size = " ", 1
        part, size = part + char, size + width
    yield part
