"""Importing other tools' on-call setups: each vendor's own API example, mapped, gives the
on-call answers the example shows (tests/fixtures/oncall_import/SOURCES.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vigil.domain.imports import from_pagerduty
from vigil.domain.schedules import Schedule, final_schedule, time_zone, wall_clock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oncall_import"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _day_around(moment: datetime, zone_name: str) -> tuple[datetime, datetime]:
    """The whole local day of `moment`: the entries of the examples are each one day's."""
    zone = time_zone(zone_name)
    midnight = wall_clock(moment, zone).replace(hour=0, minute=0, second=0)
    return midnight.replace(tzinfo=zone), (midnight + timedelta(days=1)).replace(tzinfo=zone)


def test_pagerduty_example_schedule_reproduces_its_rendered_entries() -> None:
    body = fixture("pagerduty.json")
    plan = from_pagerduty(body)
    (imported,) = plan.schedules
    example = body["schedules"][0]["schedule"]
    schedule = Schedule(time_zone=imported.time_zone, layers=imported.layers, overrides=imported.overrides)
    rendered = [
        *example["final_schedule"]["rendered_schedule_entries"],
        *example["schedule_layers"][0]["rendered_schedule_entries"],
    ]
    assert len(rendered) == 2
    for entry in rendered:
        start, end = datetime.fromisoformat(entry["start"]), datetime.fromisoformat(entry["end"])
        shifts = final_schedule(schedule, *_day_around(start, imported.time_zone))
        assert [(s.user_id, s.start, s.end) for s in shifts] == [(entry["user"]["id"], start, end)]


def test_pagerduty_example_people_policies_and_what_could_not_be_mapped() -> None:
    plan = from_pagerduty(fixture("pagerduty.json"))
    (person,) = plan.people
    assert (person.user_id, person.time_zone, person.email) == (
        "PXPGF42",
        "America/Lima",
        "125.greenholt.earline@graham.name",
    )
    assert [(m.type, m.address) for m in person.contact_methods] == [("email", "grady.haylie.126@hickle.net")]
    assert [(r.contact_method_id, r.after_minutes) for r in person.notification_rules.high] == [
        ("PXPGF42", 0)
    ]
    (policy,) = plan.policies
    assert (policy.name, policy.targets, policy.rules, policy.repeat) == (
        "Another Escalation Policy",
        ["user:PAM4FGS", "source:PI7DH85"],
        [],
        2,
    )
    assert any("services are not imported" in line for line in plan.unmapped)
