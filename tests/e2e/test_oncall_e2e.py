"""People, schedules, escalation policies and services on the local runtime: the API answers
who is on call from the pure domain, and an alert for a service pages the person on call by
their personal notification rules (the real ASL, the real page and deliver functions)."""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar

from tests.helpers.client import ApiClient, wait_for


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _person(api: ApiClient, user_id: str, **rules: Any) -> dict[str, Any]:
    body = {
        "name": user_id.title(),
        "email": f"{user_id}@example.com",
        "time_zone": "Europe/London",
        "contact_methods": [
            {"id": "mail", "type": "email", "address": f"{user_id}@example.com"},
            {"id": "phone", "type": "sms", "address": "+15550100" + str(abs(hash(user_id)) % 1000).zfill(3)},
        ],
        "notification_rules": rules or {"high": [{"contact_method_id": "mail", "after_minutes": 0}]},
    }
    reply = api.put(f"/api/users/{user_id}", body)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def _unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(3)}"


def _weekly(participants: list[str], start: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "name": "primary",
        "time_zone": "America/New_York",
        "layers": [
            {
                "participants": participants,
                "rotation": "weekly",
                "handoff_time": "09:00:00",
                "start": _stamp(start),
                **extra,
            }
        ],
    }


def test_users_are_stored_and_bad_ones_refused_naming_the_field(api: ApiClient) -> None:
    ann = _unique("ann")
    stored = _person(api, ann)
    assert stored["user_id"] == ann and stored["contact_methods"][0]["type"] == "email"
    assert api.get(f"/api/users/{ann}").body["email"] == f"{ann}@example.com"
    assert ann in [p["user_id"] for p in api.get("/api/users").body["items"]]

    bad_zone = api.put(
        f"/api/users/{ann}", {"name": "Ann", "email": "a@example.com", "time_zone": "Mars/Base"}
    )
    assert bad_zone.status == 400
    assert bad_zone.body["error"]["details"][0]["field"] == "body.time_zone"
    no_method = {
        "name": "Ann",
        "email": "a@example.com",
        "notification_rules": {"high": [{"contact_method_id": "pager", "after_minutes": 0}]},
    }
    refused = api.put(f"/api/users/{ann}", no_method)
    assert refused.status == 400 and "reaches no contact method" in refused.body["error"]["message"]

    assert api.call("DELETE", f"/api/users/{ann}").status == 200
    assert api.get(f"/api/users/{ann}").status == 404


def test_a_schedule_answers_who_is_on_call_with_overrides(api: ApiClient) -> None:
    ann, bob, cy = _unique("ann"), _unique("bob"), _unique("cy")
    for user in (ann, bob, cy):
        _person(api, user)
    monday = datetime(2026, 3, 2, 14, tzinfo=UTC)  # Monday 09:00 in New York (EST)
    created = api.post("/api/schedules", _weekly([ann, bob], monday))
    assert created.status == 201, created.body
    schedule_id = created.body["schedule_id"]

    in_first_week = api.get(f"/api/schedules/{schedule_id}/oncall?at=2026-03-04T12:00:00Z")
    assert in_first_week.status == 200, in_first_week.body
    assert [s["user_id"] for s in in_first_week.body["shifts"]] == [ann]
    # Across the DST change of 2026-03-08 the handoff stays at 09:00 New York time (now 13:00 UTC).
    weeks = api.get(
        f"/api/schedules/{schedule_id}/oncall?since=2026-03-02T14:00:00Z&until=2026-03-16T13:00:00Z"
    )
    assert [(s["user_id"], s["start"][:16], s["source"]) for s in weeks.body["shifts"]] == [
        (ann, "2026-03-02T14:00", "layer:0"),
        (bob, "2026-03-09T13:00", "layer:0"),
    ]
    assert weeks.body["gaps"] == [] and weeks.body["warnings"] == []

    override = api.post(
        f"/api/schedules/{schedule_id}/overrides",
        {"user_id": cy, "start": "2026-03-04T00:00:00Z", "end": "2026-03-05T00:00:00Z"},
    )
    assert override.status == 201, override.body
    at_noon = api.get(f"/api/schedules/{schedule_id}/oncall?at=2026-03-04T12:00:00Z").body["shifts"][0]
    assert (at_noon["user_id"], at_noon["source"]) == (cy, f"override:{override.body['id']}")
    removed = api.call("DELETE", f"/api/schedules/{schedule_id}/overrides/{override.body['id']}")
    assert removed.status == 200
    assert (
        api.get(f"/api/schedules/{schedule_id}/oncall?at=2026-03-04T12:00:00Z").body["shifts"][0]["user_id"]
        == ann
    )


def test_schedule_input_is_checked_naming_the_field(api: ApiClient) -> None:
    ann = _unique("ann")
    _person(api, ann)
    start = datetime(2026, 3, 2, 14, tzinfo=UTC)
    unknown = api.post("/api/schedules", _weekly([ann, "nobody-here"], start))
    assert unknown.status == 400
    assert unknown.body["error"]["details"][0]["field"] == "body.layers[0].participants[1]"
    zone = api.post("/api/schedules", {**_weekly([ann], start), "time_zone": "Nowhere/City"})
    assert zone.status == 400 and zone.body["error"]["details"][0]["field"] == "body.time_zone"
    schedule_id = api.post("/api/schedules", _weekly([ann], start)).body["schedule_id"]
    backwards = api.get(
        f"/api/schedules/{schedule_id}/oncall?since=2026-03-05T00:00:00Z&until=2026-03-04T00:00:00Z"
    )
    assert backwards.status == 400 and backwards.body["error"]["details"][0]["field"] == "until"
    inverted = api.post(
        f"/api/schedules/{schedule_id}/overrides",
        {"user_id": ann, "start": "2026-03-05T00:00:00Z", "end": "2026-03-04T00:00:00Z"},
    )
    assert inverted.status == 400 and inverted.body["error"]["details"][0]["field"] == "body.end"
    assert api.get("/api/schedules/sch_missing/oncall").status == 404


def test_a_persons_key_is_named_on_the_timeline(api: ApiClient) -> None:
    ann = _unique("ann")
    _person(api, ann)
    created = api.post(f"/api/users/{ann}/keys", {"name": f"{ann} laptop"})
    assert created.status == 201 and created.body["user_id"] == ann and created.body["scope"] == "responder"
    as_ann = ApiClient(api.base, created.body["secret"])
    opened = as_ann.post("/api/incident_response", {"title": "disk full on db-1", "severity": "low"})
    assert opened.status == 201, opened.body
    noted = as_ann.post(f"/api/incident_response/{opened.body['incident_id']}/notes", {"note": "looking"})
    assert noted.status in (200, 201), noted.body
    actors = {e["actor"] for e in api.incident(opened.body["incident_id"])["timeline"]}
    assert f"user:{ann}" in actors


def _outbox(api: ApiClient, target: str, incident_id: str) -> list[dict[str, Any]]:
    """The pages to `target` about the incident (not the handoff notices listing it, which the
    runtime's minute timer may send during a test whose schedule hands off)."""
    return [
        item
        for item in api.get("/_local/outbox").body["items"]
        if item["target"] == target
        and incident_id in json.dumps(item["body"])
        and not str(item.get("subject") or item["body"]).startswith("Handoff:")
    ]


def _alert(api: ApiClient, token: str, dedup_key: str) -> str:
    alert = {"title": f"checkout latency {dedup_key}", "severity": "critical", "dedup_key": dedup_key}
    sent = api.post(f"/api/hooks/{token}", alert, key=None)
    assert sent.status in (200, 202), sent.body
    assert sent.body["alerts"][0]["action"] == "opened", sent.body
    return str(sent.body["alerts"][0]["incident_id"])


def _paging_person(api: ApiClient, user_id: str, phone: str) -> None:
    rules = {
        "high": [
            {"contact_method_id": "mail", "after_minutes": 0},
            {"contact_method_id": "phone", "after_seconds": 3},
        ]
    }
    body = {
        "name": user_id.title(),
        "email": f"{user_id}@example.com",
        "contact_methods": [
            {"id": "mail", "type": "email", "address": f"{user_id}@example.com"},
            {"id": "phone", "type": "sms", "address": phone},
        ],
        "notification_rules": rules,
    }
    assert api.put(f"/api/users/{user_id}", body).status == 200


def test_a_service_pages_whoever_is_on_call_by_their_rules_until_acknowledged(api: ApiClient) -> None:
    ann, bob, cy = _unique("ann"), _unique("bob"), _unique("cy")
    phones = {ann: "+15550100201", bob: "+15550100202", cy: "+15550100203"}
    for user_id, phone in phones.items():
        _paging_person(api, user_id, phone)
    # A one-hour rotation whose first turn (Ann's) ends a few seconds from now; then Bob's.
    start = (datetime.now(UTC) - timedelta(hours=1) + timedelta(seconds=8)).replace(microsecond=0)
    layer = {
        "participants": [ann, bob],
        "rotation": "custom",
        "shift_hours": 1,
        "handoff_time": start.strftime("%H:%M:%S"),
        "start": _stamp(start),
    }
    schedule = api.post("/api/schedules", {"name": "checkout", "time_zone": "UTC", "layers": [layer]})
    assert schedule.status == 201, schedule.body
    schedule_id = schedule.body["schedule_id"]
    policy = api.post(
        "/api/escalation-policies",
        {"name": "checkout", "rules": [], "targets": [f"schedule:{schedule_id}"], "fallback_target": None},
    )
    assert policy.status == 201, policy.body
    integration = api.integration("generic")
    service = api.post(
        "/api/services",
        {
            "name": "checkout",
            "escalation_policy_id": policy.body["policy_id"],
            "integrations": [integration["integration_id"]],
        },
    )
    assert service.status == 201, service.body
    assert (
        api.get(f"/api/integrations/{integration['integration_id']}").body["service_id"]
        == service.body["service_id"]
    )
    token = integration["token"]

    # Ann is on call: her email at once, her SMS three seconds later; each step is in the ledger.
    first = _alert(api, token, _unique("a"))
    wait_for(lambda: _outbox(api, phones[ann], first), timeout=20)
    assert len(_outbox(api, f"{ann}@example.com", first)) == 1
    ledger = api.get(f"/api/notifications?incident_id={first}").body["items"]
    assert sorted((d["team"], d["channel"], d["status"]) for d in ledger) == [
        (f"user:{ann}", "email", "sent"),
        (f"user:{ann}", "sms", "sent"),
    ]
    timeline = api.incident(first)["timeline"]
    assert any(
        e["kind"] == "page" and f"on call for schedule:{schedule_id}" in e["message"] for e in timeline
    )
    assert api.post(f"/api/incident_response/{first}/resolve", {"reason": "fixed"}).status == 200

    # After the handoff the next page goes to Bob; acknowledging stops his later SMS.
    wait_for(
        lambda: api.get(f"/api/schedules/{schedule_id}/oncall").body["shifts"][0]["user_id"] == bob,
        timeout=20,
    )
    second = _alert(api, token, _unique("b"))
    wait_for(lambda: _outbox(api, f"{bob}@example.com", second), timeout=20)
    assert api.post(f"/api/incident_response/{second}/acknowledge", {"reason": "on it"}).status == 200
    time.sleep(5)  # Bob's SMS step was due 3 seconds after the page
    assert _outbox(api, phones[bob], second) == []
    assert not _outbox(api, f"{ann}@example.com", second)

    # An override wins over the rotation.
    override = {
        "user_id": cy,
        "start": _stamp(datetime.now(UTC) - timedelta(minutes=1)),
        "end": _stamp(datetime.now(UTC) + timedelta(hours=1)),
    }
    assert api.post(f"/api/schedules/{schedule_id}/overrides", override).status == 201
    third = _alert(api, token, _unique("c"))
    wait_for(lambda: _outbox(api, f"{cy}@example.com", third), timeout=20)
    assert not _outbox(api, f"{bob}@example.com", third)


def test_policies_and_services_refuse_what_they_cannot_page(api: ApiClient) -> None:
    unknown_user = api.post(
        "/api/escalation-policies", {"name": "x", "rules": [], "targets": ["user:nobody-here"]}
    )
    assert unknown_user.status == 400
    assert unknown_user.body["error"]["details"][0]["field"] == "body.targets[0]"
    rule = {"escalation_level": 1, "escalate_to": "schedule:sch_missing", "escalate_after_seconds": 60}
    unknown_schedule = api.post("/api/escalation-policies", {"name": "x", "rules": [rule]})
    assert unknown_schedule.body["error"]["details"][0]["field"] == "body.rules[0].escalate_to"
    no_policy = api.post("/api/services", {"name": "x", "escalation_policy_id": "pol_missing"})
    assert no_policy.status == 400
    assert no_policy.body["error"]["details"][0]["field"] == "body.escalation_policy_id"
    no_integration = api.post("/api/services", {"name": "x", "integrations": ["int_missing"]})
    assert no_integration.body["error"]["details"][0]["field"] == "body.integrations[0]"
    services = api.get("/api/services").body["items"]
    assert services[0] == {
        "service_id": "default",
        "name": "Default",
        "escalation_policy_id": "default",
        "integrations": [],
    }
    assert api.get("/api/escalation-policies/default").body["policy_id"] == "default"
    assert api.call("DELETE", "/api/services/default").status == 409


def test_calendar_feeds_are_valid_icalendar_at_a_secret_address(api: ApiClient) -> None:
    ann, bob = _unique("ann"), _unique("bob")
    for user in (ann, bob):
        _person(api, user)
    monday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    schedule_id = api.post("/api/schedules", _weekly([ann, bob], monday)).body["schedule_id"]

    created = api.post(f"/api/schedules/{schedule_id}/calendar")
    assert created.status == 201, created.body
    path = created.body["url"].removeprefix(api.base)
    assert path.startswith("/api/calendars/vgc_") and path.endswith(".ics")
    feed = api.get(path, key=None)
    assert feed.status == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.body)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) >= 8  # weekly turns from a week ago to eight weeks ahead
    assert {str(e["SUMMARY"]) for e in events} == {
        f"On call: {ann.title()} (primary)",
        f"On call: {bob.title()} (primary)",
    }
    starts = [e.decoded("DTSTART") for e in events]
    assert starts == sorted(starts) and all(s.tzinfo is not None for s in starts)

    mine = api.post(f"/api/users/{ann}/calendar").body["url"].removeprefix(api.base)
    own = icalendar.Calendar.from_ical(api.get(mine, key=None).body)
    assert {str(e["SUMMARY"]) for e in own.walk("VEVENT")} == {
        f"On call: {ann.title()} ({ann.title()} on call)"
    }

    renewed = api.post(f"/api/schedules/{schedule_id}/calendar").body["url"].removeprefix(api.base)
    assert api.get(renewed, key=None).status == 200
    assert api.get(path, key=None).status == 401  # the new address ends the old one
    assert api.get("/api/calendars/vgc_made_up.ics", key=None).status == 401


def test_gaps_are_warnings_on_the_schedule_and_in_health(api: ApiClient) -> None:
    ann = _unique("ann")
    _person(api, ann)
    office_hours = {"start": "09:00:00", "end": "17:00:00", "days": ["monday", "tuesday", "wednesday"]}
    body = _weekly([ann], datetime.now(UTC) - timedelta(days=1), restrictions=[office_hours])
    schedule_id = api.post("/api/schedules", body).body["schedule_id"]
    now = datetime.now(UTC)
    week = api.get(
        f"/api/schedules/{schedule_id}/oncall?since={_stamp(now)}&until={_stamp(now + timedelta(days=7))}"
    ).body
    assert week["gaps"] and week["warnings"] == [
        f"nobody is on call for {len(week['gaps'])} stretch(es) of this range"
    ]
    health = api.get("/api/health").body
    assert any(w.startswith(f"schedule {schedule_id}: nobody on call") for w in health["warnings"])
    assert api.get("/api/health", key=None).body["warnings"] == []  # not for anonymous callers


def test_a_pagerduty_export_is_imported_and_answers_as_its_example(api: ApiClient) -> None:
    body = json.loads(
        (Path(__file__).resolve().parents[1] / "fixtures/oncall_import/pagerduty.json").read_text()
    )
    reply = api.post("/api/import/pagerduty", body)
    assert reply.status == 201, reply.body
    assert [u["user_id"] for u in reply.body["users"]] == ["PXPGF42"]
    ((schedule,),) = [reply.body["schedules"]]
    assert schedule["source_id"] == "PI7DH85"
    assert any(
        "PEYSGVF, who is not imported" in line for line in reply.body["unmapped"]
    )  # the override's user
    (entry,) = body["schedules"][0]["schedule"]["final_schedule"]["rendered_schedule_entries"]
    day = "since=2015-11-10T05:00:00Z&until=2015-11-11T05:00:00Z"  # the entry's day in New York
    answer = api.get(f"/api/schedules/{schedule['schedule_id']}/oncall?{day}").body
    assert [(s["user_id"], s["start"], s["end"]) for s in answer["shifts"]] == [
        ("PXPGF42", "2015-11-10T13:00:00Z", "2015-11-10T22:00:00Z")
    ]
    assert entry["start"] == "2015-11-10T08:00:00-05:00" and entry["end"] == "2015-11-10T17:00:00-05:00"
    (policy,) = reply.body["escalation_policies"]
    imported = api.get(f"/api/escalation-policies/{policy['policy_id']}").body
    assert imported["targets"] == [f"schedule:{schedule['schedule_id']}"] and imported["repeat"] == 2
    assert (
        api.get("/api/users/PXPGF42").body["contact_methods"][0]["address"] == "grady.haylie.126@hickle.net"
    )


def test_a_grafana_oncall_export_is_imported_and_answers_as_its_example(api: ApiClient) -> None:
    body = json.loads(
        (Path(__file__).resolve().parents[1] / "fixtures/oncall_import/grafana-oncall.json").read_text()
    )
    reply = api.post("/api/import/grafana-oncall", body)
    assert reply.status == 201, reply.body
    assert [u["user_id"] for u in reply.body["users"]] == ["U4DNY931HHJS5"]
    ((schedule,),) = [reply.body["schedules"]]
    assert schedule["source_id"] == "S3Z477AHDXTMF"
    assert any(
        line.startswith("shift O9WTH7CKM3KZW: repeats weekly every 2") for line in reply.body["unmapped"]
    )
    day = "since=2020-09-10T04:00:00Z&until=2020-09-11T04:00:00Z"  # 2020-09-10 in New York
    answer = api.get(f"/api/schedules/{schedule['schedule_id']}/oncall?{day}").body
    assert [(s["user_id"], s["start"], s["end"]) for s in answer["shifts"]] == [
        ("U4DNY931HHJS5", "2020-09-10T12:00:00Z", "2020-09-10T15:00:00Z")
    ]  # "Demo single event": 08:00 New York time for 10800 s
    (policy,) = reply.body["escalation_policies"]
    imported = api.get(f"/api/escalation-policies/{policy['policy_id']}").body
    assert imported["name"] == "default" and imported["targets"] == ["user:U4DNY931HHJS5"]


def test_who_is_on_call_is_one_read_of_the_schedule(api: ApiClient, stack: Any) -> None:
    ann, bob = _unique("ann"), _unique("bob")
    for user in (ann, bob):
        _person(api, user)
    schedule_id = api.post("/api/schedules", _weekly([ann, bob], datetime(2026, 3, 2, 14, tzinfo=UTC))).body[
        "schedule_id"
    ]
    override = {"user_id": bob, "start": "2026-03-04T00:00:00Z", "end": "2026-03-05T00:00:00Z"}
    assert api.post(f"/api/schedules/{schedule_id}/overrides", override).status == 201
    at = api.get(f"/api/schedules/{schedule_id}/oncall?at=2026-03-04T12:00:00Z")
    assert at.body["shifts"][0]["user_id"] == bob
    # The request's own calls: the runtime's totals also count other tests' ladders still running.
    calls = {k: v for k, v in stack.last_calls["ApiFunction"].items() if k.startswith("dynamodb:")}
    # The API key (unless a warm function has it cached), then the schedule with its overrides.
    assert set(calls) == {"dynamodb:GetItem"} and calls["dynamodb:GetItem"] <= 2, calls
