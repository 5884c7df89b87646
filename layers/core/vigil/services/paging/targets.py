"""Paging a rung's targets: teams through notify.page; people (named, or on call on a
schedule at page time) by their personal notification rules, each step one delivery.

A step due later than the page is published at once with `not_before`: its delivery waits in
its queue until then (services/paging/delivery.py) and is dropped if the incident was acknowledged or
resolved meanwhile, so a person's rules run until someone answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vigil.adapters import channels, stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.deliveries import DeliveryMessage
from vigil.domain.escalation import Rung
from vigil.domain.incidents import StoredIncident
from vigil.domain.oncall import target_of, urgency_of
from vigil.domain.people import UNSENDABLE, NotificationStep, Person, page_steps
from vigil.observability import count
from vigil.services.paging import notify
from vigil.services.schedules import who_is_on_call
from vigil.services.timeline import add_timeline


def page(
    incident: StoredIncident,
    rung: Rung,
    *,
    run: str,
    round_: int,
    purpose: str = "page",
    at: datetime | None = None,
) -> int:
    """Publish every delivery of one rung; the number published. `at` is when the rung
    committed to paging (the entries' time), now if not given."""
    now = at or utcnow()
    context = notify.context_of(incident)
    teams = [name for kind, name in map(target_of, rung.targets) if kind == "team"]
    teams_only = rung.model_copy(update={"targets": teams})
    published = notify.page(incident, teams_only, context, run=run, round_=round_, purpose=purpose, at=now)
    for target in rung.targets:
        kind, name = target_of(target)
        if kind == "team":
            continue
        step = f"{run}-{purpose}-{round_}-{rung.level}-{target}"
        user_id = name if kind == "user" else who_is_on_call(name, now) if kind == "schedule" else None
        person = stores.users.find(user_id) if user_id else None
        if person is None:
            _unreachable(incident.incident_id, target, user_id, rung, step)
            continue
        shared = Page(incident, context, rung, run, round_, purpose, now)
        published += _page_person(shared, person, via=target if kind == "schedule" else None, entry=step)
    return published


@dataclass(frozen=True)
class Page:
    """What every step of one page shares."""

    incident: StoredIncident
    context: notify.Context
    rung: Rung
    run: str
    round: int
    purpose: str
    now: datetime


def _page_person(page_: Page, person: Person, *, via: str | None, entry: str) -> int:
    urgency = urgency_of(page_.incident.severity)
    sent, skipped = page_steps(person, urgency)
    for step in sent:
        channels.publish_notification(_message(page_, person, step), step.contact_method.type)
    who = f"{person.name} ({person.user_id})" + (f", on call for {via}" if via else "")
    add_timeline(
        page_.incident.incident_id,
        "page",
        f"paged {who} by {urgency}-urgency rules: "
        + ", ".join(f"{s.contact_method.type} at {s.after_minutes:g} min" for s in sent)
        + (f" (skipped: {UNSENDABLE['slack']})" if skipped else ""),
        data={
            "user_id": person.user_id,
            "via": via,
            "urgency": urgency,
            "steps": [s.key for s in sent],
            # the resolve notice goes where the first step went (notify.announce_resolved)
            "first": {"contact_method_id": sent[0].contact_method.id, "channel": sent[0].contact_method.type}
            if sent
            else None,
            "rung": page_.rung.level,
            "round": page_.round,
        },
        entry_id=f"page-{entry}",
        at=page_.now,
    )
    return len(sent)


def _message(page_: Page, person: Person, step: NotificationStep) -> dict[str, Any]:
    who = f"user:{person.user_id}"
    channel = step.contact_method.type
    message = DeliveryMessage(
        delivery_id=notify.delivery_id(
            page_.run, page_.round, page_.rung.level, who, f"{channel}:{step.key}", page_.purpose
        ),
        channel=channel,
        team=who,
        destinations=[step.contact_method.address],
        rung=page_.rung.level,
        round=page_.round,
        purpose=page_.purpose,
        incident=notify.snapshot(page_.incident, page_.context),
    )
    if step.after_minutes > 0:
        due = iso(page_.now + timedelta(minutes=step.after_minutes))
        message = message.model_copy(update={"not_before": due, "until_acknowledged": True})
    return message.published()


def _unreachable(incident_id: str, target: str, user_id: str | None, rung: Rung, step: str) -> None:
    count("PagesFailed")
    why = (
        f"no user {user_id}"
        if user_id
        else "nobody is on call"
        if target.startswith("schedule:")
        else "unknown"
    )
    add_timeline(
        incident_id,
        "page_failed",
        f"could not page {target}: {why}",
        data={"target": target, "user_id": user_id, "rung": rung.level},
        entry_id=f"unreachable-{step}",
    )
