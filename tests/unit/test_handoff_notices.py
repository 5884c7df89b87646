"""Handoff notices and resolve notices to people, on in-memory stores: each handoff is notified
once however many runs overlap or come late (within the look-behind), a run that died after
its claim is taken over when its lease lapses, the notice lists the open incidents of the
services paging the schedule; a person paged by their rules hears of the resolution once, on
the contact method of their first step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from vigil.adapters import stores
from vigil.domain.escalation import Rung
from vigil.domain.oncall import NamedPolicy, Service, StoredSchedule
from vigil.domain.people import Person
from vigil.domain.schedules import Layer
from vigil.services import handoffs
from vigil.services.paging import delivery, notify, targets

from tests.unit.fakes import (
    FakeAlerts,
    FakeChannels,
    FakeConfig,
    FakeDeliveries,
    FakeHandoffs,
    FakeIncidents,
)

HANDOFF = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # Monday 09:00 in New York (EDT): Bob to Ann


def _person(user_id: str, **rules: Any) -> Person:
    return Person.model_validate(
        {
            "user_id": user_id,
            "name": user_id.title(),
            "email": f"{user_id}@example.com",
            "time_zone": "America/New_York",
            "contact_methods": [
                {"id": "mail", "type": "email", "address": f"{user_id}.work@example.com"},
                {"id": "phone", "type": "sms", "address": "+15550100100"},
            ],
            "notification_rules": rules,
        }
    )


PEOPLE = {
    "ann": _person("ann", low=[{"contact_method_id": "mail", "after_minutes": 0}]),
    "bob": _person(
        "bob",
        high=[
            {"contact_method_id": "phone", "after_minutes": 0},
            {"contact_method_id": "mail", "after_minutes": 5},
        ],
    ),
}
WEEKLY = Layer(
    participants=["ann", "bob"],
    rotation="weekly",
    handoff_day="monday",
    handoff_time=time(9, 0),
    start=datetime(2026, 2, 23, 14, tzinfo=UTC),
)
SCHEDULE = StoredSchedule(schedule_id="sch_web", name="Web", time_zone="America/New_York", layers=[WEEKLY])
POLICY = NamedPolicy(policy_id="pol_web", name="web", rules=[], targets=["schedule:sch_web"])
SERVICE = Service(service_id="svc_web", name="web", escalation_policy_id="pol_web")


class Found:
    """A store holding fixed objects: find by id, and all of them."""

    def __init__(self, field: str, *objects: Any) -> None:
        self.objects = {getattr(o, field): o for o in objects}

    def find(self, object_id: str) -> Any:
        return self.objects.get(object_id)

    def all_stored(self) -> list[Any]:
        return list(self.objects.values())


@dataclass
class World:
    incidents: FakeIncidents
    channels: FakeChannels
    handoffs: FakeHandoffs
    users: Found


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = World(FakeIncidents(), FakeChannels(), FakeHandoffs(), Found("user_id", *PEOPLE.values()))
    for name, fake in {
        "incidents": w.incidents,
        "alerts": FakeAlerts(),
        "handoffs": w.handoffs,
        "users": w.users,
        "schedules": Found("schedule_id", SCHEDULE),
        "policies": Found("policy_id", POLICY),
        "services": Found("service_id", SERVICE),
        "config": FakeConfig(),
    }.items():
        monkeypatch.setattr(stores, name, fake)
    for module in (handoffs, notify, targets):
        monkeypatch.setattr(module, "channels", w.channels)
    opened = "2026-03-09T12:00:00.000Z"
    for incident_id, status, fields in [
        ("inc_web", "acknowledged", {"service_id": "svc_web"}),
        ("inc_ruled", "open", {"assigned_team": "service:svc_web"}),  # an assignment rule named the service
        ("inc_default", "open", {"service_id": None}),  # the default service's policy pages teams
        ("inc_done", "resolved", {"service_id": "svc_web"}),
    ]:
        w.incidents.create(
            {
                "incident_id": incident_id,
                "title": f"{incident_id} is down",
                "severity": "high",
                "status": status,
                "created_at": opened,
                "updated_at": opened,
                "version": 1,
                **fields,
            }
        )
    yield w


def _sent(world: World) -> list[dict[str, Any]]:
    return [message for _, message in world.channels.published]


def test_each_handoff_is_notified_once_by_the_rules_steps_at_zero_minutes(world: World) -> None:
    notified = handoffs.notify_handoffs(HANDOFF + timedelta(minutes=1))["notified"]
    assert [(n["user_id"], n["direction"], n["at"], n["deliveries"]) for n in notified] == [
        ("bob", "off", "2026-03-09T13:00:00.000Z", 1),
        ("ann", "on", "2026-03-09T13:00:00.000Z", 1),
    ]
    bob, ann = _sent(world)
    assert (bob["channel"], bob["destinations"], bob["team"]) == ("sms", ["+15550100100"], "user:bob")
    assert (ann["channel"], ann["destinations"], ann["team"]) == (
        "email",
        ["ann.work@example.com"],
        "user:ann",
    )
    assert ann["handoff"]["direction"] == "on" and ann["handoff"]["other"] == "bob"
    assert ann["ledger_id"] == "handoff:sch_web" and "not_before" not in ann

    # An overlapping run, and the next minutes' runs, find every handoff claimed.
    for late in (1, 2, 9):
        assert handoffs.notify_handoffs(HANDOFF + timedelta(minutes=late)) == {"notified": []}
    assert len(_sent(world)) == 2


def test_a_run_late_by_minutes_still_notifies_but_not_past_the_look_behind(world: World) -> None:
    assert len(handoffs.notify_handoffs(HANDOFF + timedelta(minutes=9))["notified"]) == 2
    world.handoffs.items.clear()
    assert handoffs.notify_handoffs(HANDOFF + handoffs.LOOK_BEHIND + timedelta(seconds=1)) == {"notified": []}


def test_a_handoff_less_than_a_minute_ahead_is_notified_by_this_minutes_run(world: World) -> None:
    assert handoffs.notify_handoffs(HANDOFF - handoffs.LOOK_AHEAD - timedelta(seconds=1)) == {"notified": []}
    assert len(handoffs.notify_handoffs(HANDOFF - timedelta(seconds=30))["notified"]) == 2


def test_a_claim_left_by_a_run_that_died_is_taken_over_once_its_lease_lapses(world: World) -> None:
    now = HANDOFF + timedelta(minutes=1)
    for user_id, direction in (("bob", "off"), ("ann", "on")):
        world.handoffs.claim(
            "sch_web", HANDOFF, user_id, direction, now=now, lease_until=now + handoffs.LEASE
        )
    assert handoffs.notify_handoffs(now + timedelta(minutes=1)) == {"notified": []}
    taken = handoffs.notify_handoffs(now + handoffs.LEASE + timedelta(minutes=1))["notified"]
    assert len(taken) == 2 and len(_sent(world)) == 2


def test_the_notice_lists_the_open_incidents_of_the_services_paging_the_schedule(world: World) -> None:
    handoffs.notify_handoffs(HANDOFF + timedelta(minutes=1))
    notice = _sent(world)[0]["handoff"]
    assert [i["incident_id"] for i in notice["open_incidents"]] == ["inc_web", "inc_ruled"]
    assert notice["open_count"] == 2 and notice["open_incidents"][0]["status"] == "acknowledged"


def test_a_notice_email_and_sms_are_the_handoffs_own_and_touch_no_timeline(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoffs.notify_handoffs(HANDOFF + timedelta(minutes=1))
    bob, ann = _sent(world)
    emails: list[tuple[Any, ...]] = []
    monkeypatch.setattr(world.channels, "send_email", lambda *a: emails.append(a) or "msg-1", raising=False)
    monkeypatch.setattr(
        world.channels, "send_sms", lambda phone, text: emails.append((phone, text)) or "sms-1", raising=False
    )
    monkeypatch.setattr(delivery, "channels", world.channels)
    monkeypatch.setattr(stores, "deliveries", FakeDeliveries())
    assert delivery.deliver(ann, 1, delivery.DeliveryOptions()) == "sent"
    assert delivery.deliver(bob, 1, delivery.DeliveryOptions()) == "sent"
    assert delivery.deliver(bob, 2, delivery.DeliveryOptions()) == "duplicate"
    (to, subject, _html, text), (phone, sms) = emails
    assert to == ["ann.work@example.com"] and subject.startswith("Handoff: you are on call for Web")
    assert "inc_ruled" in text and phone == "+15550100100" and sms.startswith("Handoff: you are off call")
    assert stores.deliveries.items[ann["delivery_id"]]["incident_id"] == "handoff:sch_web"
    assert world.incidents.timelines == {}


# ----------------------------------------------------------------------------- resolve notices


def _page(world: World, monkeypatch: pytest.MonkeyPatch, rounds: int = 1) -> None:
    """Page Bob by name and whoever is on call (Ann, since 13:00)."""
    monkeypatch.setattr(targets, "utcnow", lambda: HANDOFF + timedelta(hours=1))
    rung = Rung(level=0, targets=["user:bob", "schedule:sch_web"], channels=["email"])
    for round_ in range(rounds):
        targets.page(world.incidents.get("inc_web"), rung, run="run0", round_=round_)
    world.channels.published.clear()


def _resolve(world: World) -> list[dict[str, Any]]:
    resolved = world.incidents.get("inc_web").model_copy(
        update={"status": "resolved", "resolved_at": "2026-03-09T14:30:00Z"}
    )
    notify.announce_resolved(resolved)
    return _sent(world)


def test_people_paged_by_rules_hear_of_the_resolution_once_where_first_paged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bob's SMS went at once (his email would at 5 minutes); Ann has no high-urgency rules: emailed.
    _page(world, monkeypatch, rounds=2)
    notices = _resolve(world)
    assert [(n["team"], n["channel"], n["destinations"], n["purpose"]) for n in notices] == [
        ("user:bob", "sms", ["+15550100100"], "resolved"),
        ("user:ann", "email", ["ann@example.com"], "resolved"),
    ]
    [told] = [e for e in world.incidents.entries("inc_web") if e["kind"] == "notification"]
    assert told["data"]["users"] == ["user:bob", "user:ann"]


def test_a_resolve_notice_goes_to_the_method_as_it_is_now_or_the_email_once_it_is_gone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _page(world, monkeypatch)
    bob = PEOPLE["bob"]
    new_phone = bob.contact_methods[1].model_copy(update={"address": "+15550100999"})
    world.users.objects["bob"] = bob.model_copy(
        update={"contact_methods": [bob.contact_methods[0], new_phone]}
    )
    assert _resolve(world)[0]["destinations"] == ["+15550100999"]
    world.channels.published.clear()
    world.users.objects["bob"] = bob.model_copy(update={"contact_methods": [bob.contact_methods[0]]})
    assert _resolve(world)[0]["destinations"] == ["bob@example.com"]
    del world.users.objects["bob"]
    world.channels.published.clear()
    assert [n["team"] for n in _resolve(world)] == ["user:ann"]  # a person deleted since is not told
