"""Imports on the local runtime: Opsgenie's export answers as Opsgenie would, importing any
vendor's document a second time updates what the first made (nothing is duplicated), and the
people a schedule names are looked up in one BatchGetItem per 100."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.client import ApiClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oncall_import"
JOHN, JANE = "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "8a22b6ea-5d4f-4c4e-9bd4-34fe0f4b7a62"
PLATFORM = "d875e654-9b4e-4219-a8c3-0c26936d18de"


def _fixture(vendor: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{vendor}.json").read_text()))


def _imported(api: ApiClient, vendor: str) -> dict[str, Any]:
    reply = api.post(f"/api/import/{vendor}", _fixture(vendor))
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _on_call(api: ApiClient, schedule_id: str, at: str) -> str | None:
    shifts = api.get(f"/api/schedules/{schedule_id}/oncall?at={at}").body["shifts"]
    return shifts[0]["user_id"] if shifts else None


def test_an_opsgenie_export_is_imported_and_answers_as_opsgenie_would(api: ApiClient) -> None:
    report = _imported(api, "opsgenie")
    assert [u["user_id"] for u in report["users"]] == [JOHN, JANE]
    platform, sun = report["schedules"]
    assert (platform["source_id"], sun["source_id"]) == (PLATFORM, "2b1f6a0c-6e3d-4f7a-9c1b-5d8e7f6a5b4c")
    # the weekly rotation hands off at 09:00 New York time on both sides of the DST change of
    # 2026-03-08; the weekend rotation wins from Friday 18:00; the override puts jane on 03-04
    answers = {
        "2026-03-02T14:00:00Z": JOHN,
        "2026-03-04T20:00:00Z": JANE,
        "2026-03-06T22:59:00Z": JOHN,
        "2026-03-06T23:00:00Z": JANE,
        "2026-03-08T13:00:00Z": JOHN,
        "2026-03-09T13:00:00Z": JANE,
    }
    assert {at: _on_call(api, platform["schedule_id"], at) for at in answers} == answers
    (escalation,) = report["escalation_policies"]
    policy = api.get(f"/api/escalation-policies/{escalation['policy_id']}").body
    assert policy["targets"] == [f"schedule:{platform['schedule_id']}"]
    assert [
        (r["escalation_level"], r["escalate_to"], r["escalate_after_seconds"]) for r in policy["rules"]
    ] == [(1, f"user:{JANE}", 300)]
    assert (policy["repeat"], policy["repeat_after_seconds"]) == (2, 600)
    assert policy["imported_from"] == {"vendor": "opsgenie", "id": escalation["source_id"]}
    assert any("user:c7d1e5a0" in line and "not imported" in line for line in report["unmapped"])
    john = api.get(f"/api/users/{JOHN}").body
    assert [(r["after_seconds"]) for r in john["notification_rules"]["high"]] == [0, 300]


@pytest.mark.parametrize("vendor", ["pagerduty", "opsgenie", "grafana-oncall"])
def test_importing_a_document_again_updates_what_it_made(api: ApiClient, vendor: str) -> None:
    first = _imported(api, vendor)
    counts = {path: len(api.get(path).body) for path in ("/api/users", "/api/schedules")}
    policies = len(api.get("/api/escalation-policies").body)
    overrides = {
        s["schedule_id"]: api.get(f"/api/schedules/{s['schedule_id']}").body for s in first["schedules"]
    }

    second = _imported(api, vendor)

    assert {path: len(api.get(path).body) for path in counts} == counts
    assert len(api.get("/api/escalation-policies").body) == policies
    for kind, key in (
        ("users", "user_id"),
        ("schedules", "schedule_id"),
        ("escalation_policies", "policy_id"),
    ):
        assert [o[key] for o in second[kind]] == [o[key] for o in first[kind]], kind
        assert {o["outcome"] for o in second[kind]} <= {"updated"}, kind
    assert second["schedules"] and second["escalation_policies"] and second["users"]
    for schedule_id, before in overrides.items():
        after = api.get(f"/api/schedules/{schedule_id}").body
        assert after["overrides"] == before["overrides"] and after["layers"] == before["layers"]
        assert after["imported_from"]["vendor"] == vendor


def test_a_hand_made_override_survives_a_reimport(api: ApiClient) -> None:
    (schedule, _) = _imported(api, "opsgenie")["schedules"]
    path = f"/api/schedules/{schedule['schedule_id']}/overrides"
    body = {"user_id": JOHN, "start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z"}
    made = api.post(path, body)
    assert made.status == 201, made.body
    _imported(api, "opsgenie")
    overrides = api.get(f"/api/schedules/{schedule['schedule_id']}").body["overrides"]
    assert [o["id"] for o in overrides].count(made.body["id"]) == 1
    assert sorted(o["id"] for o in overrides if o["id"] != made.body["id"]) == [
        "dentist-swap",
        "primary-only",
    ]


def test_the_people_a_schedule_names_are_one_batch_read_per_hundred(api: ApiClient, stack: Any) -> None:
    people = [f"batch{secrets.token_hex(3)}{n}" for n in range(101)]
    for user_id in people:
        reply = api.put(f"/api/users/{user_id}", {"name": user_id, "email": f"{user_id}@example.com"})
        assert reply.status == 200, reply.body
    layer = {"rotation": "daily", "handoff_time": "09:00:00", "start": "2026-03-02T09:00:00Z"}
    body = {
        "name": "batched",
        "time_zone": "UTC",
        "layers": [{**layer, "participants": people[:100]}, {**layer, "participants": people[50:]}],
    }
    reply = api.post("/api/schedules", body)
    assert reply.status == 201, reply.body
    calls = stack.last_calls["ApiFunction"]
    assert calls["dynamodb:BatchGetItem"] == 2  # 101 distinct people: 100, then 1
    assert calls["dynamodb:GetItem"] <= 1  # at most the caller's API key, never a person
    missing = api.post(
        "/api/schedules", {**body, "layers": [{**layer, "participants": [people[0], "nobody-x"]}]}
    )
    assert missing.status == 400
    assert missing.body["error"]["details"][0]["field"] == "body.layers[0].participants[1]"
    assert stack.last_calls["ApiFunction"]["dynamodb:BatchGetItem"] == 1


ODD_SHAPES = {
    "pagerduty": {"users": [{"id": "P1"}], "contact_methods": {"P1": {"contact_methods": ["not an object"]}}},
    "opsgenie": {"schedules": [{"data": {"id": "S1", "timezone": 3}}]},
    "grafana-oncall": {"users": [7]},
}


@pytest.mark.parametrize("vendor", sorted(ODD_SHAPES))
def test_json_of_another_shape_is_a_400_naming_the_body(api: ApiClient, vendor: str) -> None:
    reply = api.post(f"/api/import/{vendor}", ODD_SHAPES[vendor])
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"][0]["field"] == "body"
