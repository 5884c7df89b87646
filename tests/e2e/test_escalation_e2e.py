"""An alert opens a critical incident; rung 0 and rung 1 pages reach the outbox; an
acknowledge over HTTP stops the ladder and no further page arrives."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import payload
from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

pytestmark = pytest.mark.usefixtures("fresh_policy")


def _pages_for(api: ApiClient, receiver: Receiver, incident_title: str) -> list[str]:
    return [r.path for r in receiver.requests if incident_title.encode() in r.body]


def test_alert_to_acknowledge_over_http(api: ApiClient, receiver: Receiver) -> None:
    policy = {
        "rules": [
            {
                "escalation_level": 1,
                "escalate_to": "e2e_seniors",
                "escalate_after_seconds": 1,
                "notification_channels": ["webhook", "email"],
            },
            {
                "escalation_level": 2,
                "escalate_to": "e2e_managers",
                "escalate_after_seconds": 2,
                "notification_channels": ["webhook"],
            },
        ],
        "repeat": 0,
        "repeat_after_seconds": 30,
        "fallback_target": None,
    }
    saved = api.put("/api/incident_response/escalation-rules", policy)
    assert saved.status == 200 and saved.body["version"] >= 1
    for team in ("emergency_team", "e2e_seniors", "e2e_managers"):
        body = {
            "webhook_url": f"{receiver.url}/{team}",
            "members": [
                {"name": "Ann", "contact_methods": [{"type": "email", "address": f"{team}@example.com"}]}
            ],
        }
        assert api.put(f"/api/teams/{team}", body).status == 200
    integration = api.integration("alertmanager")
    api.post("/_local/outbox/reset")

    sent = api.post(
        f"/api/hooks/{integration['token']}",
        payload("alertmanager_v4_firing_am0.21_raw_issue2447.json"),
        key=None,
    )
    assert sent.status == 200, sent.body
    incident_id = sent.body["alerts"][0]["incident_id"]
    assert sent.body["alerts"][0]["action"] == "opened"
    assert api.incident(incident_id)["severity"] == "critical"

    def outbox_targets() -> list[str]:
        return [i["target"] for i in api.get("/_local/outbox").body["items"] if incident_id in str(i["body"])]

    wait_for(
        lambda: {f"{receiver.url}/e2e_seniors", "e2e_seniors@example.com"} <= set(outbox_targets()),
        timeout=10,
    )
    targets = outbox_targets()
    assert f"{receiver.url}/emergency_team" in targets and "emergency_team@example.com" in targets
    assert "e2e_seniors@example.com" in targets

    acked = api.post(f"/api/incident_response/{incident_id}/acknowledge", {"reason": "on it"})
    assert acked.status == 200 and acked.body["status"] == "acknowledged"
    count_at_ack = len(outbox_targets())
    time.sleep(3)  # rung 2 would have paged e2e_managers 2 seconds after rung 1
    assert len(outbox_targets()) == count_at_ack
    assert not any("e2e_managers" in t for t in outbox_targets())
    detail: dict[str, Any] = api.incident(incident_id)
    assert detail["escalation"]["state"] == "acknowledged"
    assert detail["escalation"]["next_escalation_at"] is None
    assert detail["escalation"]["execution_arn"].endswith(f":{incident_id}")
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[0] == "opened" and "status" in kinds and kinds.count("page") == 2


def test_simulation_pages_nobody_and_shows_who_and_when(api: ApiClient) -> None:
    api.post("/_local/outbox/reset")
    api.put("/api/teams/support_team", {"email_list": ["support@example.com"]})
    reply = api.post(
        "/api/incident_response/escalation-rules/simulate", {"severity": "medium", "category": "system"}
    )
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["assigned_team"] == "platform_team"
    assert [(r["rung"], r["at_seconds"], r["targets"]) for r in body["rungs"] if not r["skipped"]] == [
        (0, 0, ["platform_team"]),
        (1, 3600, ["support_team"]),
    ]
    assert body["reachable"]["support_team"]["email"] == ["support@example.com"]
    assert api.get("/_local/outbox").body["items"] == []


def test_invalid_policy_is_refused_naming_the_field(api: ApiClient) -> None:
    bad = {"rules": [{"escalation_level": 1, "escalate_to": "x", "condition": "severity = 'critical'"}]}
    reply = api.put("/api/incident_response/escalation-rules", bad)
    assert reply.status == 400
    assert reply.body["error"]["details"][0]["field"] == "body.rules[0].condition"
    assert api.put("/api/incident_response/escalation-rules", {"rules": []}).status == 200
    assert api.put("/api/incident_response/escalation-rules", {"rules": "nope"}).status == 400


def test_policy_saves_are_versioned(api: ApiClient) -> None:
    first = api.put("/api/incident_response/escalation-rules", {"rules": [], "repeat": 1}).body["version"]
    second = api.put("/api/incident_response/escalation-rules", {"rules": [], "repeat": 2}).body["version"]
    assert second == first + 1
    assert api.get("/api/incident_response/escalation-rules").body["repeat"] == 2


def test_reopening_restarts_the_ladder(api: ApiClient, receiver: Receiver) -> None:
    api.put("/api/teams/e2e_reopen", {"webhook_url": f"{receiver.url}/reopen"})
    created = api.post(
        "/api/incident_response", {"title": "flaky disk", "severity": "high", "assigned_team": "e2e_reopen"}
    )
    assert created.status == 201
    incident_id = created.body["incident_id"]
    wait_for(lambda: len([r for r in receiver.requests if incident_id.encode() in r.body]) == 1)
    assert api.post(f"/api/incident_response/{incident_id}/resolve", {}).status == 200
    reopened = api.put(f"/api/incident_response/{incident_id}", {"status": "open", "reason": "back again"})
    assert reopened.status == 200 and reopened.body["status"] == "open"
    wait_for(lambda: len([r for r in receiver.requests if incident_id.encode() in r.body]) == 2)
    assert api.incident(incident_id)["escalation"]["execution_arn"].endswith(f":{incident_id}-run1")
    executions = [e["message"] for e in api.incident(incident_id)["timeline"] if e["kind"] == "escalation"]
    assert "reopened: the escalation ladder restarts" in executions


def test_a_run_that_ends_after_a_person_moved_the_ladder_leaves_their_state_alone(
    api: ApiClient, stack: Any
) -> None:
    """The first run's last step (exhausted, or failed) may run after a snooze started a newer
    run: it changes nothing, pages no fallback, and says nothing on the timeline; the current
    run's end is stored."""
    opened = api.post("/api/incident_response", {"title": "moved meanwhile", "severity": "high"})
    incident_id = opened.body["incident_id"]
    snoozed = api.post(f"/api/incident_response/{incident_id}/snooze", {"minutes": 30})
    assert snoozed.status == 200, snoozed.body
    wait_for(lambda: api.incident(incident_id)["escalation"].get("state") == "snoozed")
    machine = stack.resolver.physical["EscalationStateMachine"]["Ref"]
    first_run = f"{machine.replace(':stateMachine:', ':execution:')}:{incident_id}"
    for action in ("exhausted", "failed"):
        step = {"action": action, "incident_id": incident_id, "cursor": {}, "execution_arn": first_run}
        assert stack.invoke("PageFunction", step) == {"paged": 0}
    incident = api.incident(incident_id)
    assert incident["escalation"]["state"] == "snoozed"
    said = [entry["message"] for entry in incident["timeline"]]
    assert any("snooze" in line for line in said), said
    assert not any("exhausted" in line or "ladder failed" in line for line in said), said
    current = {
        "action": "exhausted",
        "incident_id": incident_id,
        "cursor": {},
        "execution_arn": f"{first_run}-run1",
    }
    stack.invoke("PageFunction", current)  # the current run's end is stored
    incident = api.incident(incident_id)
    assert incident["escalation"]["state"] == "exhausted"
    assert any("ladder exhausted" in entry["message"] for entry in incident["timeline"])
