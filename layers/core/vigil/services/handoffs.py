"""Handoff notices: every minute (HandoffsFunction), each person going on call or coming off
call on a schedule is told so by their notification rules, with the open incidents of the
services whose escalation policies page that schedule.

A run looks at the handoffs from LOOK_BEHIND ago to LOOK_AHEAD ahead, so missed minutes skip
none. Exactly once: before notifying, a conditional write claims (schedule, instant, person,
on|off) (stores.handoffs); overlapping runs see the claim and move on, and each message's
delivery id is derived from the same four, so the delivery ledger sends it once in any case.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from vigil.adapters import channels, stores
from vigil.domain.clock import iso
from vigil.domain.deliveries import DeliveryMessage
from vigil.domain.handoffs import (
    SHOWN_INCIDENTS,
    Handoff,
    HandoffNotice,
    OpenIncident,
    handoffs_between,
    notice_steps,
)
from vigil.domain.incidents import Status
from vigil.domain.oncall import DEFAULT_ID, NamedPolicy, StoredSchedule, service_of, target_of
from vigil.domain.people import NotificationStep, Person
from vigil.observability import count, logger
from vigil.services import policies
from vigil.services.paging import notify

LOOK_BEHIND = timedelta(minutes=10)
LOOK_AHEAD = timedelta(minutes=1)
LEASE = timedelta(minutes=2)  # a run that died after claiming is taken over after this
# Incidents opened longer ago are not listed: the notice is about what is going on now.
OPEN_LOOKBACK = timedelta(days=30)
CLOSED = {Status.RESOLVED.value, Status.CLOSED.value}
LEDGER_PREFIX = "handoff:"  # a notice's ledger entries are under incident_id "handoff:<schedule id>"


def notify_handoffs(now: datetime) -> dict[str, Any]:
    """Notify every handoff near `now` that no run has notified yet; what this run notified."""
    due = [
        (schedule, handoff)
        for schedule in stores.schedules.all_stored()
        for handoff in handoffs_between(schedule.schedule, now - LOOK_BEHIND, now + LOOK_AHEAD)
    ]
    claimed = [(s, h) for s, h in due if _claim(s.schedule_id, h, now)]
    if not claimed:
        return {"notified": []}
    open_by_schedule = _open_incidents_by_schedule(now)
    find_person = functools.cache(stores.users.find)  # a person handing over and back is read once
    notified = []
    for schedule, handoff in claimed:
        person = find_person(handoff.user_id)
        sent = _notify(schedule, handoff, person, open_by_schedule.get(schedule.schedule_id, []))
        stores.handoffs.finish(schedule.schedule_id, handoff.at, handoff.user_id, handoff.direction, now=now)
        notified.append(
            {
                "schedule_id": schedule.schedule_id,
                "user_id": handoff.user_id,
                "direction": handoff.direction,
                "at": iso(handoff.at),
                "deliveries": sent,
            }
        )
    count("HandoffsNotified", len(notified))
    logger.info("handoffs notified", extra={"notified": notified})
    return {"notified": notified}


def _claim(schedule_id: str, handoff: Handoff, now: datetime) -> bool:
    return stores.handoffs.claim(
        schedule_id, handoff.at, handoff.user_id, handoff.direction, now=now, lease_until=now + LEASE
    )


def _notify(
    schedule: StoredSchedule, handoff: Handoff, person: Person | None, open_incidents: list[OpenIncident]
) -> int:
    """Publish one message per step of the person's rules at 0 minutes; the number published."""
    if person is None:  # deleted since the schedule named them
        logger.warning("handoff for an unknown person", extra={"user_id": handoff.user_id})
        return 0
    notice = HandoffNotice(
        schedule_id=schedule.schedule_id,
        schedule_name=schedule.name,
        user_id=person.user_id,
        time_zone=person.time_zone,
        direction=handoff.direction,
        at=handoff.at,
        other=handoff.other,
        open_incidents=open_incidents[:SHOWN_INCIDENTS],
        open_count=len(open_incidents),
    )
    steps = notice_steps(person)
    for step in steps:
        channels.publish_notification(_message(notice, step), step.contact_method.type)
    return len(steps)


def _message(notice: HandoffNotice, step: NotificationStep) -> dict[str, Any]:
    who = f"user:{notice.user_id}"
    channel = step.contact_method.type
    run = f"{LEDGER_PREFIX}{notice.schedule_id}:{iso(notice.at)}"
    message = DeliveryMessage(
        delivery_id=notify.delivery_id(
            run, 0, -1, who, f"{channel}:{step.key}", f"handoff-{notice.direction}"
        ),
        channel=channel,
        team=who,
        destinations=[step.contact_method.address],
        rung=-1,
        round=0,
        purpose="handoff",
        handoff=notice,
        ledger_id=f"{LEDGER_PREFIX}{notice.schedule_id}",
    )
    return message.published()


def _open_incidents_by_schedule(now: datetime) -> dict[str, list[OpenIncident]]:
    """Per schedule id, the open incidents (newest first) of the services whose policies page
    that schedule: one query for the incidents, one each for the policies and the services, one
    read of the default policy (as escalation.policy_for decides which policy pages an incident)."""
    services = policies.list_services()
    schedules_of = {p.policy_id: _schedules_named(p) for p in policies.list_policies()}
    # A policy that is gone pages as the default one does, and so does a service that is gone.
    schedules_paged_by = {
        s.service_id: schedules_of.get(s.escalation_policy_id, schedules_of[DEFAULT_ID]) for s in services
    }
    window = (iso(now - OPEN_LOOKBACK), "\uffff")  # and any opened since the run's minute began
    incidents = [i for i in stores.incidents.created_between(window) if i.status not in CLOSED]
    found: dict[str, list[OpenIncident]] = defaultdict(list)
    for incident in sorted(incidents, key=lambda i: i.created_at, reverse=True):
        for schedule_id in schedules_paged_by.get(service_of(incident), schedules_paged_by[DEFAULT_ID]):
            found[schedule_id].append(OpenIncident.model_validate(incident.model_dump()))
    return found


def _schedules_named(policy: NamedPolicy) -> set[str]:
    """The schedules a policy pages in any rung, or falls back to."""
    targets = [*policy.targets, *(r.escalate_to for r in policy.rules), policy.fallback_target or ""]
    return {name for kind, name in map(target_of, targets) if kind == "schedule"}
