"""Importing other tools' on-call setups: each vendor's own API example, mapped, gives the
on-call answers the example shows (tests/fixtures/oncall_import/SOURCES.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vigil.domain.imports import from_pagerduty
from vigil.domain.imports_grafana import from_grafana_oncall
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


def test_grafana_oncall_example_single_event_is_on_call_as_the_example_says() -> None:
    plan = from_grafana_oncall(fixture("grafana-oncall.json"))
    (imported,) = plan.schedules
    assert (imported.source_id, imported.time_zone) == ("S3Z477AHDXTMF", "America/New_York")
    schedule = Schedule(time_zone=imported.time_zone, layers=imported.layers, overrides=imported.overrides)
    # "Demo single event": start 2020-09-10T08:00:00 in the schedule's zone, for 10800 s
    shifts = final_schedule(
        schedule, *_day_around(datetime.fromisoformat("2020-09-10T12:00:00+00:00"), "America/New_York")
    )
    assert [(s.user_id, s.start.isoformat(), s.end.isoformat()) for s in shifts] == [
        ("U4DNY931HHJS5", "2020-09-10T12:00:00+00:00", "2020-09-10T15:00:00+00:00")
    ]


def test_grafana_oncall_example_what_is_mapped_and_what_is_not() -> None:
    plan = from_grafana_oncall(fixture("grafana-oncall.json"))
    (person,) = plan.people
    assert (person.user_id, person.name, person.email, person.time_zone) == (
        "U4DNY931HHJS5",
        "alex",
        "public-api-demo-user-1@grafana.com",
        "UTC",
    )
    assert [(m.type, m.address) for m in person.contact_methods] == [
        ("email", "public-api-demo-user-1@grafana.com"),
        ("slack", "UALEXSLACKDJPK"),
    ]
    (policy,) = plan.policies
    assert (policy.source_id, policy.name, policy.targets, policy.rules) == (
        "F5JU6KJET33FE",
        "default",
        ["user:U4DNY931HHJS5"],
        [],
    )
    unmapped = "\n".join(plan.unmapped)
    assert "schedule SBM7DV7BKFUYU: an iCal-URL schedule" in unmapped
    assert "shift O9WTH7CKM3KZW: repeats weekly every 2" in unmapped
    assert "escalation chain F5JU6KJET33FE: it waits 60 s before its first page" in unmapped


def test_grafana_oncall_rolling_users_rotate_daily_within_their_window() -> None:
    shift = {
        "id": "OROLL",
        "type": "rolling_users",
        "level": 0,
        "start": "2026-03-02T09:00:00",
        "duration": 8 * 3600,
        "frequency": "daily",
        "rolling_users": [["UA"], ["UB"]],
        "start_rotation_from_user_index": 1,
    }
    body = {
        "on_call_shifts": [shift],
        "schedules": [{"id": "S1", "type": "calendar", "time_zone": "Europe/London", "shifts": ["OROLL"]}],
    }
    (imported,) = from_grafana_oncall(body).schedules
    schedule = Schedule(time_zone=imported.time_zone, layers=imported.layers, overrides=[])
    since = datetime.fromisoformat("2026-03-02T00:00:00+00:00")
    shifts = final_schedule(schedule, since, since + timedelta(days=2))
    assert [(s.user_id, s.start.hour, s.end.hour) for s in shifts] == [("UB", 9, 17), ("UA", 9, 17)]
