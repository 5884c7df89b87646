"""iCalendar feeds of on-call shifts, per schedule and per person, at a secret URL that
calendar apps poll without an API key (like an integration's hook token, only its hash is kept)."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.adapters import stores
from vigil.domain.calendars import render_calendar
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Unauthorized
from vigil.domain.oncall import StoredSchedule
from vigil.domain.schedules import Shift, final_schedule
from vigil.domain.secrets import hash_secret, new_secret
from vigil.services.people import get_user
from vigil.services.schedules import get_schedule, list_schedules

FEED_PREFIX = "vgc"
PAST = timedelta(days=7)
AHEAD = timedelta(days=56)
REFUSED = "no calendar feed has this address (a newer one may have replaced it)"


def new_feed(kind: str, object_id: str) -> str:
    """A new secret for the feed of a schedule or a person (the previous one stops working)."""
    if kind == "schedule":
        get_schedule(object_id)
    else:
        get_user(object_id)
    secret = new_secret(FEED_PREFIX)
    stores.calendars.replace(f"{kind}:{object_id}", hash_secret(secret), at=iso(utcnow()))
    return secret


def render_feed(secret: str) -> str:
    """The VCALENDAR text of the feed `secret` names: the shifts of a week ago to eight weeks ahead."""
    scope = stores.calendars.scope_of(hash_secret(secret)) if secret.startswith(f"{FEED_PREFIX}_") else None
    if scope is None:
        raise Unauthorized(REFUSED)
    kind, _, object_id = scope.partition(":")
    now = utcnow()
    since, until = now - PAST, now + AHEAD
    if kind == "schedule":
        schedule = get_schedule(object_id)
        shifts, name = final_schedule(schedule.schedule, since, until), schedule.name
    else:
        person = get_user(object_id)
        shifts, name = _shifts_of(object_id, list_schedules(), since, until), f"{person.name} on call"
    people = {p.user_id: p.name for p in stores.users.all_stored()}
    return render_calendar(shifts, name=name, scope=scope, stamp=now, people=people)


def _shifts_of(
    user_id: str, schedules: list[StoredSchedule], since: datetime, until: datetime
) -> list[Shift]:
    found = [
        shift.model_copy(update={"source": f"{schedule.name} ({schedule.schedule_id}), {shift.source}"})
        for schedule in schedules
        for shift in final_schedule(schedule.schedule, since, until)
        if shift.user_id == user_id
    ]
    return sorted(found, key=lambda s: s.start)
