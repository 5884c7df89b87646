"""Responder control on the local runtime with the real ASL: escalate to a rung (also when
acknowledged), reassign, add a responder, snooze, merge; a joining critical alert raising the
severity; and a rung nobody can be reached at handing over to the fallback at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

pytestmark = pytest.mark.usefixtures("fresh_policy")
BASE = "/api/incident_response"
LONG = 600  # rungs wait this long: anything paged sooner was moved on purpose


def _team(api: ApiClient, receiver: Receiver, name: str) -> None:
    assert api.put(f"/api/teams/{name}", {"webhook_url": f"{receiver.url}/{name}"}).status == 200


def _pages(receiver: Receiver, incident_id: str, team: str) -> int:
    return sum(1 for r in receiver.requests if r.path.endswith(f"/{team}") and incident_id.encode() in r.body)


def _policy(api: ApiClient, *levels: str, fallback: str | None = None) -> None:
    rules = [
        {
            "escalation_level": level,
            "escalate_to": team,
            "escalate_after_seconds": LONG,
            "notification_channels": ["webhook"],
        }
        for level, team in enumerate(levels, start=1)
    ]
    body = {"rules": rules, "repeat": 0, "repeat_after_seconds": LONG, "fallback_target": fallback}
    assert api.put(f"{BASE}/escalation-rules", body).status == 200


def _open(api: ApiClient, receiver: Receiver, team: str, title: str) -> str:
    created = api.post(BASE, {"title": title, "severity": "high", "assigned_team": team})
    assert created.status == 201, created.body
    incident_id = str(created.body["incident_id"])
    wait_for(lambda: _pages(receiver, incident_id, team) == 1)
    wait_for(lambda: api.incident(incident_id)["escalation"].get("state") == "waiting")
    return incident_id


def _entries(api: ApiClient, incident_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in api.incident(incident_id)["timeline"] if e["kind"] == kind]


def test_escalate_to_a_given_rung_skips_the_ones_between(api: ApiClient, receiver: Receiver) -> None:
    for team in ("r_first", "r_second", "r_third"):
        _team(api, receiver, team)
    _policy(api, "r_second", "r_third")
    incident_id = _open(api, receiver, "r_first", "escalate to rung 2")

    reply = api.post(f"{BASE}/escalate", {"incident_id": incident_id, "escalation_level": 2})
    assert reply.status == 200, reply.body
    wait_for(lambda: _pages(receiver, incident_id, "r_third") == 1)
    assert _pages(receiver, incident_id, "r_second") == 0
    assert _pages(receiver, incident_id, "r_first") == 1
    moved = [e for e in _entries(api, incident_id, "escalation") if e["message"].startswith("escalated to")]
    assert moved[0]["data"]["rung"] == 2 and moved[0]["actor"].startswith("key:")
    assert api.post(f"{BASE}/{incident_id}/escalate", {"escalation_level": 9}).status == 400


def test_an_acknowledged_incident_can_be_escalated(api: ApiClient, receiver: Receiver) -> None:
    for team in ("r_ack_first", "r_ack_second"):
        _team(api, receiver, team)
    _policy(api, "r_ack_second")
    incident_id = _open(api, receiver, "r_ack_first", "escalate when acknowledged")
    assert api.post(f"{BASE}/{incident_id}/acknowledge", {}).status == 200

    reply = api.post(f"{BASE}/{incident_id}/escalate", {"reason": "need the seniors"})
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "open"
    wait_for(lambda: _pages(receiver, incident_id, "r_ack_second") == 1)
    assert api.incident(incident_id)["escalation"]["execution_arn"].endswith(f"{incident_id}-run1")
    resolved = api.post(f"{BASE}/{incident_id}/resolve", {})
    assert resolved.status == 200
    assert api.post(f"{BASE}/{incident_id}/escalate", {}).status == 422


def test_reassign_pages_the_new_team_and_names_who(api: ApiClient, receiver: Receiver) -> None:
    for team in ("r_from", "r_to"):
        _team(api, receiver, team)
    _policy(api)
    incident_id = _open(api, receiver, "r_from", "reassign me")

    reply = api.post(f"{BASE}/{incident_id}/reassign", {"team": "r_to", "reason": "their service"})
    assert reply.status == 200, reply.body
    assert reply.body["assigned_team"] == "r_to"
    wait_for(lambda: _pages(receiver, incident_id, "r_to") == 1)
    assert _pages(receiver, incident_id, "r_from") == 1
    assignment = _entries(api, incident_id, "assignment")
    assert assignment and assignment[0]["actor"].startswith("key:")
    unknown = api.post(f"{BASE}/{incident_id}/reassign", {"team": "r_nobody_knows"})
    assert unknown.status == 400 and unknown.body["error"]["details"][0]["field"] == "body.team"


def test_add_responder_pages_once_without_restarting(api: ApiClient, receiver: Receiver) -> None:
    for team in ("r_owner", "r_helper"):
        _team(api, receiver, team)
    _policy(api)
    incident_id = _open(api, receiver, "r_owner", "add a responder")
    arn = api.incident(incident_id)["escalation"]["execution_arn"]

    for _ in range(2):
        reply = api.post(f"{BASE}/{incident_id}/responders", {"team": "r_helper"})
        assert reply.status == 200, reply.body
    wait_for(lambda: _pages(receiver, incident_id, "r_helper") == 1)
    person = api.post(f"{BASE}/{incident_id}/responders", {"email": "dana@example.com"})
    assert person.status == 200
    wait_for(
        lambda: any(
            i["target"] == "dana@example.com" and incident_id in str(i["body"])
            for i in api.get("/_local/outbox").body["items"]
        )
    )
    detail = api.incident(incident_id)
    assert detail["escalation"]["execution_arn"] == arn and detail["escalation"]["state"] == "waiting"
    assert _pages(receiver, incident_id, "r_helper") == 1 and _pages(receiver, incident_id, "r_owner") == 1
    added = _entries(api, incident_id, "responder")
    assert [e["data"].get("team") or e["data"].get("email") for e in added] == [
        "r_helper",
        "r_helper",
        "dana@example.com",
    ]
    unknown = api.post(f"{BASE}/{incident_id}/responders", {"user_id": "nobody-here"})
    assert unknown.status == 400 and unknown.body["error"]["details"][0]["field"] == "body.user_id"
    both = api.post(f"{BASE}/{incident_id}/responders", {"team": "r_helper", "email": "a@example.com"})
    assert both.status == 400


def test_snooze_acknowledges_then_the_ladder_resumes(api: ApiClient, receiver: Receiver) -> None:
    _team(api, receiver, "r_sleepy")
    _policy(api)
    incident_id = _open(api, receiver, "r_sleepy", "snooze me")

    reply = api.post(f"{BASE}/{incident_id}/snooze", {"seconds": 2})
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "acknowledged"
    assert reply.body["escalation"]["state"] == "snoozed"
    wait_for(lambda: api.incident(incident_id)["status"] == "open", timeout=15)
    wait_for(lambda: _pages(receiver, incident_id, "r_sleepy") == 2)
    messages = [e["message"] for e in api.incident(incident_id)["timeline"]]
    assert "snoozed for 2s" in messages
    assert any("snooze ended" in m for m in messages)
    assert api.post(f"{BASE}/{incident_id}/snooze", {}).status == 400


def test_merge_moves_alerts_and_timeline_to_the_survivor(api: ApiClient) -> None:
    first = api.post("/api/alerting/send", {"title": "merge: disk full", "severity": "medium"})
    second = api.post("/api/alerting/send", {"title": "merge: db slow", "severity": "medium"})
    loser, survivor = first.body["incident_id"], second.body["incident_id"]
    assert loser and survivor and loser != survivor
    assert api.post(f"{BASE}/{loser}/notes", {"note": "checked the disk"}).status == 201

    reply = api.post(f"{BASE}/{loser}/merge", {"into": survivor})
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "closed" and reply.body["merged_into"] == survivor
    detail = api.incident(survivor)
    assert {a["title"] for a in detail["alerts"]} == {"merge: disk full", "merge: db slow"}
    assert detail["alert_count"] == 2
    assert any(e["message"] == f"[{loser}] checked the disk" for e in detail["timeline"])
    merged = [e for e in detail["timeline"] if e["kind"] == "merge"]
    assert merged[0]["actor"].startswith("key:") and merged[0]["data"]["merged_from"] == loser
    assert api.post(f"{BASE}/{survivor}/merge", {"into": survivor}).status == 400
    assert api.post(f"{BASE}/{loser}/merge", {"into": survivor}).status == 422


def test_a_joining_critical_alert_raises_severity_and_pages_the_new_team(
    api: ApiClient, receiver: Receiver
) -> None:
    for team in ("on_call_engineer", "emergency_team"):
        _team(api, receiver, team)
    _policy(api)
    alert = {"title": "checkout errors", "severity": "high", "correlation_id": "raise-1"}
    opened = api.post("/api/alerting/send", alert)
    incident_id = opened.body["incident_id"]
    assert api.incident(incident_id)["assigned_team"] == "on_call_engineer"
    wait_for(lambda: _pages(receiver, incident_id, "on_call_engineer") == 1)

    joined = api.post("/api/alerting/send", {**alert, "title": "checkout down", "severity": "critical"})
    assert joined.body["action"] == "joined" and joined.body["incident_id"] == incident_id
    detail = api.incident(incident_id)
    assert (detail["severity"], detail["assigned_team"]) == ("critical", "emergency_team")
    wait_for(lambda: _pages(receiver, incident_id, "emergency_team") == 1)
    lower = api.post("/api/alerting/send", {**alert, "title": "checkout slow", "severity": "medium"})
    assert lower.body["action"] == "joined"
    assert api.incident(incident_id)["severity"] == "critical"
    raised = [e for e in _entries(api, incident_id, "escalation") if "severity raised" in e["message"]]
    assert raised and raised[0]["actor"] == "alert:api"


def test_an_unreachable_rung_hands_over_to_the_fallback_at_once(api: ApiClient, receiver: Receiver) -> None:
    assert api.put("/api/teams/r_empty", {}).status == 200
    for team in ("r_next", "r_fallback"):
        _team(api, receiver, team)
    _policy(api, "r_next", fallback="r_fallback")
    created = api.post(BASE, {"title": "nobody home", "severity": "high", "assigned_team": "r_empty"})
    incident_id = created.body["incident_id"]

    wait_for(lambda: _pages(receiver, incident_id, "r_fallback") == 1)
    wait_for(lambda: _pages(receiver, incident_id, "r_next") == 1)
    kinds = [e["kind"] for e in api.incident(incident_id)["timeline"]]
    assert "page_failed" in kinds
    ended = [e["message"] for e in _entries(api, incident_id, "escalation")]
    assert "rung 0 ended: nobody on it could be reached" in ended
