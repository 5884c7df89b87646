"""Paging people on in-memory stores: a schedule target resolves to whoever is on call, each of
their rules' steps is one message, later steps wait in their queue and stop once acknowledged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from vigil.adapters import stores
from vigil.domain.escalation import Rung
from vigil.domain.oncall import StoredSchedule
from vigil.domain.people import Person
from vigil.domain.schedules import Layer
from vigil.services.paging import delivery, targets

from tests.unit.fakes import FakeAlerts, FakeChannels, FakeDeliveries, FakeIncidents

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
ANN = Person.model_validate(
    {
        "user_id": "ann",
        "name": "Ann",
        "email": "ann@example.com",
        "contact_methods": [
            {"id": "mail", "type": "email", "address": "ann@example.com"},
            {"id": "phone", "type": "sms", "address": "+15550100100"},
        ],
        "notification_rules": {
            "high": [
                {"contact_method_id": "mail", "after_minutes": 0},
                {"contact_method_id": "phone", "after_minutes": 5},
            ]
        },
    }
)
DAYTIME = Layer(
    participants=["ann"],
    rotation="daily",
    handoff_time=time(9),
    start=datetime(2026, 3, 1, 9, tzinfo=UTC),
    restrictions=[{"start": "09:00:00", "end": "17:00:00"}],
)
SCHEDULE = StoredSchedule(schedule_id="sch_day", name="day", time_zone="UTC", layers=[DAYTIME])


class FakeUsers:
    def find(self, user_id: str) -> Person | None:
        return ANN if user_id == "ann" else None


class FakeSchedules:
    def find(self, schedule_id: str) -> StoredSchedule | None:
        return SCHEDULE if schedule_id == SCHEDULE.schedule_id else None


@dataclass
class World:
    incidents: FakeIncidents
    channels: FakeChannels
    clock: list[datetime]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = World(FakeIncidents(), FakeChannels(), [NOW])
    for name, fake in {
        "incidents": w.incidents,
        "alerts": FakeAlerts(),  # a page reads its incident's alerts for their context
        "deliveries": FakeDeliveries(),
        "users": FakeUsers(),
        "schedules": FakeSchedules(),
    }.items():
        monkeypatch.setattr(stores, name, fake)
    monkeypatch.setattr(targets, "channels", w.channels)
    monkeypatch.setattr(delivery, "channels", w.channels)
    monkeypatch.setattr(delivery, "_send", lambda message, base: delivery.SendResult(ok=True, detail="sent"))
    for module in (targets, delivery):
        monkeypatch.setattr(module, "utcnow", lambda: w.clock[0])
    w.incidents.create(
        {
            "incident_id": "inc_1",
            "status": "open",
            "severity": "critical",
            "title": "db down",
            "created_at": "2026-03-04T12:00:00Z",
            "updated_at": "2026-03-04T12:00:00Z",
            "version": 1,
        }
    )
    yield w


def _page(at: datetime, world: World) -> list[dict[str, Any]]:
    world.clock[0] = at
    rung = Rung(level=0, targets=["schedule:sch_day"], channels=["email"])
    incident = world.incidents.get("inc_1")
    targets.page(incident, rung, run="run0", round_=0)
    return [message for _, message in world.channels.published]


def test_the_person_on_call_is_paged_by_each_step_of_their_rules(world: World) -> None:
    first, later = _page(NOW, world)
    assert (first["channel"], first["destinations"], first["team"]) == (
        "email",
        ["ann@example.com"],
        "user:ann",
    )
    assert "not_before" not in first
    assert (later["channel"], later["not_before"], later["until_acknowledged"]) == (
        "sms",
        "2026-03-04T12:05:00.000Z",
        True,
    )
    assert first["delivery_id"] != later["delivery_id"]
    [entry] = world.incidents.entries("inc_1")
    assert entry["kind"] == "page" and "on call for schedule:sch_day" in entry["message"]


def test_nobody_on_call_is_a_failed_page_on_the_timeline(world: World) -> None:
    assert _page(NOW.replace(hour=20), world) == []
    [entry] = world.incidents.entries("inc_1")
    assert entry["kind"] == "page_failed" and "nobody is on call" in entry["message"]


def test_a_later_step_waits_in_its_queue_then_is_sent_while_nobody_answered(world: World) -> None:
    _, later = _page(NOW, world)
    with pytest.raises(delivery.DeliveryFailed) as waiting:
        delivery.deliver(later, 1, delivery.DeliveryOptions())
    assert waiting.value.retry_after == 300
    world.clock[0] = NOW + timedelta(minutes=5)
    assert delivery.deliver(later, 2, delivery.DeliveryOptions()) == "sent"


def test_a_later_step_is_dropped_once_the_incident_is_acknowledged(world: World) -> None:
    _, later = _page(NOW, world)
    world.incidents.records["inc_1"]["status"] = "acknowledged"
    world.clock[0] = NOW + timedelta(minutes=6)
    assert delivery.deliver(later, 2, delivery.DeliveryOptions()) == "stopped"
