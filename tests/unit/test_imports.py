"""Importing other tools' on-call setups: each vendor's own API example, mapped, gives the
on-call answers the example shows (tests/fixtures/oncall_import/SOURCES.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from vigil.domain.imports import from_pagerduty
from vigil.domain.imports_grafana import from_grafana_oncall
from vigil.domain.imports_opsgenie import from_opsgenie
from vigil.domain.schedules import Schedule, final_schedule, on_call_at, time_zone, wall_clock

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


# ----------------------------------------------------------------------------- Opsgenie
JOHN, JANE = "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "8a22b6ea-5d4f-4c4e-9bd4-34fe0f4b7a62"
# The request each key of opsgenie.json answers, and the definition of Opsgenie's OAS its answer is
OPSGENIE_ANSWERS = {
    "users": "GetUserResponse",
    "notification_rules": "GetNotificationRuleResponse",
    "schedules": "GetScheduleResponse",
    "overrides": "ListScheduleOverrideResponse",
    "escalations": "GetEscalationResponse",
}


def _opsgenie_answers(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(definition, answer) for every answer in the fixture, lists and by-id maps unpacked."""
    found = []
    for key, definition in OPSGENIE_ANSWERS.items():
        value = body[key]
        items = value if isinstance(value, list) else list(value.values())
        for item in items:
            found += [(definition, answer) for answer in (item if isinstance(item, list) else [item])]
    return found


def _schema_errors(instance: Any, definition: str, definitions: dict[str, Any]) -> list[str]:
    """What jsonschema finds wrong, plus what Swagger 2's `discriminator` demands (the subtype
    named by the discriminator value) and any property the definitions do not name."""
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    errors = [f"{definition}: {e.message}" for e in Draft4Validator(schema).iter_errors(instance)]
    return errors + _beyond_jsonschema(instance, {"$ref": schema["$ref"]}, definitions, definition)


def _beyond_jsonschema(
    instance: Any, schema: dict[str, Any], definitions: dict[str, Any], at: str
) -> list[str]:
    errors = []
    if isinstance(instance, dict):
        base = schema.get("$ref", "").removeprefix("#/definitions/")
        sub = _subtype(base, definitions, instance) if base else None
        if sub:
            validator = Draft4Validator({"$ref": f"#/definitions/{sub}", "definitions": definitions})
            errors += [f"{at} ({sub}): {e.message}" for e in validator.iter_errors(instance)]
        known = _properties(schema, definitions, instance)
        errors += [
            f"{at}.{name}: not a property of Opsgenie's schema" for name in instance if name not in known
        ]
        for name, value in instance.items():
            if name in known:
                errors += _beyond_jsonschema(value, known[name], definitions, f"{at}.{name}")
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            errors += _beyond_jsonschema(item, schema["items"], definitions, f"{at}[{index}]")
    return errors


def _properties(
    schema: dict[str, Any], definitions: dict[str, Any], instance: dict[str, Any], *, subtypes: bool = True
) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/definitions/")
        sub = _subtype(name, definitions, instance) if subtypes else None
        own = _properties(definitions[name], definitions, instance, subtypes=False)
        return own | (_properties(definitions[sub], definitions, instance, subtypes=False) if sub else {})
    found = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found |= _properties(part, definitions, instance, subtypes=subtypes)
    if isinstance(schema.get("additionalProperties"), dict):
        found |= {name: schema["additionalProperties"] for name in instance}
    return found


def _subtype(base: str, definitions: dict[str, Any], instance: dict[str, Any]) -> str | None:
    """The definition a discriminated instance is, by its discriminator value."""
    field = definitions[base].get("discriminator")
    if not field:
        return None
    (sub,) = [
        name
        for name, d in definitions.items()
        if d.get("x-discriminator-value") == instance.get(field)
        and {"$ref": f"#/definitions/{base}"} in d.get("allOf", [])
    ]
    return sub


def test_opsgenie_fixture_is_what_opsgenies_own_schema_describes() -> None:
    definitions = fixture("opsgenie-oas-definitions.json")["definitions"]
    answers = _opsgenie_answers(fixture("opsgenie.json"))
    assert len(answers) == 8
    for definition, answer in answers:
        assert _schema_errors(answer, definition, definitions) == []


def test_the_schema_check_catches_a_wrong_type_an_unknown_field_and_a_wrong_subtype() -> None:
    definitions = fixture("opsgenie-oas-definitions.json")["definitions"]
    schedule = fixture("opsgenie.json")["schedules"][0]
    rotation = schedule["data"]["rotations"][0]
    rotation["length"] = "one"
    rotation["handoff"] = "09:00"
    rotation["timeRestriction"] = {"type": "time-of-day", "restrictions": []}
    rotation["participants"][0]["username"] = 7
    errors = _schema_errors(schedule, "GetScheduleResponse", definitions)
    assert len(errors) == 4 and "'one' is not of type 'integer'" in errors[0]
    assert any("(UserRecipient): 7 is not of type 'string'" in e for e in errors)
    assert any(".handoff: not a property" in e for e in errors)
    assert any(".timeRestriction.restrictions: not a property" in e for e in errors)


def _moments(imported: Any, *stamps: str) -> list[str | None]:
    schedule = Schedule(time_zone=imported.time_zone, layers=imported.layers, overrides=imported.overrides)
    shifts = [on_call_at(schedule, datetime.fromisoformat(stamp)) for stamp in stamps]
    return [{JOHN: "john", JANE: "jane"}[s.user_id] if s else None for s in shifts]


def test_opsgenie_weekly_rotation_hands_off_at_nine_new_york_time_across_the_dst_change() -> None:
    platform, _ = from_opsgenie(fixture("opsgenie.json")).schedules
    # "Weekly primary": john from Monday 2026-03-02 09:00 EST (14:00Z), jane from Monday 03-09
    # 09:00 EDT (13:00Z, after the change of 03-08); "Weekend" (daily, 2 days a turn: jane, jane,
    # john, john) wins from Friday 18:00 to Monday 08:00: Friday 03-06 and Saturday are jane's
    # turns, Sunday 03-08 and Monday john's; the override "dentist-swap" puts jane on 03-04.
    assert _moments(
        platform,
        "2026-03-02T14:00:00+00:00",  # Monday 09:00 EST: weekly, john
        "2026-03-04T20:00:00+00:00",  # the override
        "2026-03-06T22:59:00+00:00",  # Friday 17:59 EST: weekly, john
        "2026-03-06T23:00:00+00:00",  # Friday 18:00 EST: the weekend rotation, jane
        "2026-03-08T12:59:00+00:00",  # Sunday 08:59 EDT: still Saturday's turn, jane
        "2026-03-08T13:00:00+00:00",  # Sunday 09:00 EDT: john's turn
        "2026-03-09T12:59:00+00:00",  # Monday 07:59 EDT: weekend rotation, john
        "2026-03-09T13:00:00+00:00",  # Monday 09:00 EDT: weekly hands off to jane
    ) == ["john", "jane", "john", "jane", "jane", "john", "john", "jane"]


def test_opsgenie_hourly_rotation_with_a_time_of_day_restriction() -> None:
    _, sun = from_opsgenie(fixture("opsgenie.json")).schedules
    # Europe/Kirov is UTC+3 all year: 12-hour turns from 09:00 (jane, then john; the escalation
    # and "none" participants are left out), restricted to 08:00-20:00 local
    assert _moments(
        sun,
        "2026-03-02T06:00:00+00:00",  # 09:00 jane
        "2026-03-02T16:59:00+00:00",  # 19:59 jane
        "2026-03-02T17:00:00+00:00",  # 20:00 nobody
        "2026-03-03T05:00:00+00:00",  # 08:00 john, the last hour of his night turn
        "2026-03-03T06:00:00+00:00",  # 09:00 jane
    ) == ["jane", "jane", None, "john", "jane"]


def test_opsgenie_people_policies_and_what_could_not_be_mapped() -> None:
    plan = from_opsgenie(fixture("opsgenie.json"))
    john, jane = plan.people
    assert (john.user_id, john.name, john.email, john.time_zone) == (
        JOHN,
        "john doe",
        "john.doe@opsgenie.com",
        "America/New_York",
    )
    assert [(m.type, m.address) for m in john.contact_methods] == [
        ("email", "john.doe@opsgenie.com"),
        ("sms", "+15555550123"),
    ]
    steps = [(rule.contact_method_id, rule.after_seconds) for rule in john.notification_rules.high]
    assert steps == [(m.id, after) for m, after in zip(john.contact_methods, (0, 300), strict=True)]
    assert john.notification_rules.low == john.notification_rules.high  # Opsgenie has no urgency
    assert [(m.type, m.address) for m in jane.contact_methods] == [("email", "jane.roe@opsgenie.com")]
    (policy,) = plan.policies
    assert (policy.name, policy.targets, policy.repeat, policy.repeat_after_seconds) == (
        "Platform_escalation",
        ["source:d875e654-9b4e-4219-a8c3-0c26936d18de"],
        2,
        600,
    )
    assert [(r.escalation_level, r.escalate_to, r.escalate_after_seconds) for r in policy.rules] == [
        (1, f"user:{JANE}", 300),  # 5 minutes after the alert
        (2, "user:c7d1e5a0-1f2b-4c3d-8e9f-0a1b2c3d4e5f", 600),  # 15 minutes after it
    ]
    unmapped = "\n".join(plan.unmapped)
    for expected in (
        "(voice) has no Vigil kind",
        "(schedule-start): only new-alert rules page in Vigil",
        "is disabled in Opsgenie; left out",
        "a participant of type team takes no turn",
        "a participant of type escalation takes no turn",
        "a participant of type none takes no turn",
        "override primary-only is for some rotations only",
        "override nobody is for a none recipient",
        "pages the next people of schedule",
        "if-not-closed is kept as if-not-acked",
        "a recipient of type team has no Vigil kind",
        "Opsgenie has several people on call",
    ):
        assert expected in unmapped, expected


def test_opsgenie_weekday_windows_wrap_over_the_end_of_the_week() -> None:
    window = {
        "startDay": "sunday",
        "startHour": 22,
        "startMin": 30,
        "endDay": "monday",
        "endHour": 6,
        "endMin": 0,
    }
    rotation = {
        "id": "R",
        "type": "weekly",
        "startDate": "2026-03-02T00:00:00Z",
        "participants": [{"type": "user", "id": "ann"}],
        "timeRestriction": {"type": "weekday-and-time-of-day", "restrictions": [window]},
    }
    body = {"schedules": [{"data": {"id": "S", "timezone": "UTC", "rotations": [rotation]}}]}
    (imported,) = from_opsgenie(body).schedules
    assert [(str(r.start), str(r.end), r.days) for r in imported.layers[0].restrictions] == [
        ("22:30:00", "00:00:00", ["sunday"]),
        ("00:00:00", "06:00:00", ["monday"]),
    ]
