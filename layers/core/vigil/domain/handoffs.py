"""Handoffs: who goes on call and who comes off it on a schedule, and what they are told.

Pure: the caller passes the window and the open incidents. A person's time on call is their
stretch of the final schedule, whichever layers and overrides it is made of: an override
giving the person already on call more time is no handoff, and a person coming off call with
nobody after them (a gap) is told that nobody takes over.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from vigil.domain.messages import SMS_LIMIT
from vigil.domain.model import Model
from vigil.domain.people import UNSENDABLE, NotificationStep, Person, email_step, notification_steps
from vigil.domain.schedules import Schedule, as_utc, final_schedule, time_zone

Direction = Literal["on", "off"]
WEBHOOK_SCHEMA_VERSION = "vigil.handoff.v1"
SUBJECT_PREFIX = "Handoff:"  # every notice starts so: mail filters (and tests) tell it from a page
# Computed a little beyond the window, so that a stretch cut at the range's edge is not a handoff.
MARGIN = timedelta(minutes=1)
SHOWN_INCIDENTS = 20


class Handoff(Model):
    """`user_id` goes on (or comes off) call at `at`; `other` is whom they take over from (or
    hand over to), None for a gap; `source` the layer or override of the shift that starts (or ends)."""

    user_id: str
    direction: Direction
    at: datetime
    source: str
    other: str | None = None


class _Stretch(NamedTuple):
    user_id: str
    start: datetime
    end: datetime
    first_source: str
    last_source: str


def handoffs_between(schedule: Schedule, since: datetime, until: datetime) -> list[Handoff]:
    """The handoffs at instants in [since, until), in time order (at one instant, who comes off
    before who goes on)."""
    since, until = as_utc(since), as_utc(until)
    stretches = _stretches(schedule, since - MARGIN, until + MARGIN)
    found = []
    for index, stretch in enumerate(stretches):
        before = _adjacent(stretches, index - 1, stretch.start)
        after = _adjacent(stretches, index + 1, stretch.end)
        if since <= stretch.start < until:
            found.append(
                Handoff(
                    user_id=stretch.user_id,
                    direction="on",
                    at=stretch.start,
                    source=stretch.first_source,
                    other=before,
                )
            )
        if since <= stretch.end < until:
            found.append(
                Handoff(
                    user_id=stretch.user_id,
                    direction="off",
                    at=stretch.end,
                    source=stretch.last_source,
                    other=after,
                )
            )
    return sorted(found, key=lambda h: (h.at, h.direction == "on"))


def _stretches(schedule: Schedule, since: datetime, until: datetime) -> list[_Stretch]:
    """The final schedule with adjacent shifts of the same person joined, whatever their source."""
    stretches: list[_Stretch] = []
    for shift in final_schedule(schedule, since, until):
        last = stretches[-1] if stretches else None
        if last and last.end == shift.start and last.user_id == shift.user_id:
            stretches[-1] = last._replace(end=shift.end, last_source=shift.source)
        else:
            stretches.append(_Stretch(shift.user_id, shift.start, shift.end, shift.source, shift.source))
    return stretches


def _adjacent(stretches: list[_Stretch], index: int, moment: datetime) -> str | None:
    """Who is on call right before (or after) `moment`, if anyone."""
    if not 0 <= index < len(stretches):
        return None
    other = stretches[index]
    return other.user_id if moment in (other.start, other.end) else None


# ----------------------------------------------------------------------------- the notice
def notice_steps(person: Person) -> list[NotificationStep]:
    """How a person hears of a handoff: it is not urgent, so the steps of their low-urgency rules
    at 0 minutes, else of their high-urgency ones, else an email; once each, no repeats (and,
    as for pages, no UNSENDABLE types)."""
    for urgency in ("low", "high"):
        steps = [
            step
            for step in notification_steps(person, urgency)
            if step.after_minutes == 0 and step.contact_method.type not in UNSENDABLE
        ]
        if steps:
            return steps
    return [email_step(person, "low")]


class OpenIncident(Model):
    incident_id: str
    title: str
    severity: str
    status: str


class HandoffNotice(Model):
    """What a person is told about one handoff: the schedule, when (shown in their time zone),
    who takes over or hands over, and the open incidents of the services paging that schedule."""

    schedule_id: str
    schedule_name: str
    user_id: str
    time_zone: str
    direction: Direction
    at: datetime
    other: str | None = None
    open_incidents: list[OpenIncident]
    open_count: int  # all of them; at most SHOWN_INCIDENTS are listed


def local_time(notice: HandoffNotice) -> str:
    return notice.at.astimezone(time_zone(notice.time_zone)).strftime("%a %d %b %H:%M %Z")


def notice_subject(notice: HandoffNotice) -> str:
    state = "on call" if notice.direction == "on" else "off call"
    return f"{SUBJECT_PREFIX} you are {state} for {notice.schedule_name} from {local_time(notice)}"


def _who_else(notice: HandoffNotice) -> str:
    if notice.direction == "on":
        return f"You take over from {notice.other}." if notice.other else "Nobody was on call before you."
    if notice.other:
        return f"{notice.other} takes over."
    return "Nobody takes over: the schedule has a gap."


def notice_lines(notice: HandoffNotice) -> list[str]:
    """The email's text, line by line."""
    lines = [notice_subject(notice) + ".", _who_else(notice), ""]
    if not notice.open_count:
        return [*lines, "No incident is open."]
    lines.append(f"Open incidents ({notice.open_count}):")
    lines += [
        f"- [{i.severity.upper()}] {i.incident_id}: {i.title} ({i.status})" for i in notice.open_incidents
    ]
    if notice.open_count > len(notice.open_incidents):
        lines.append(f"... and {notice.open_count - len(notice.open_incidents)} more")
    return lines


def notice_html(notice: HandoffNotice) -> str:
    return (
        "<html><body><p>"
        + "<br>\n".join(html.escape(line) for line in notice_lines(notice))
        + "</p></body></html>"
    )


def notice_sms(notice: HandoffNotice) -> str:
    """At most 160 characters: the subject, then how many incidents are open."""
    tail = f". Open incidents: {notice.open_count}."
    text = notice_subject(notice)
    if len(text) + len(tail) > SMS_LIMIT:
        text = text[: SMS_LIMIT - len(tail) - 1] + "…"
    return text + tail


def handoff_event(message: dict[str, Any]) -> dict[str, Any]:
    """The body of a handoff notice sent to a webhook (docs/notifications.md), from the message
    as published."""
    return {
        "schema": WEBHOOK_SCHEMA_VERSION,
        "event": f"handoff.{message['handoff']['direction']}",
        "delivery_id": message["delivery_id"],
        "team": message["team"],
        "handoff": message["handoff"],
    }
