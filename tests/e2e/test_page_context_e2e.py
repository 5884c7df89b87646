"""Pages carry their alerts' context, and the paged people hear when the incident resolves by
itself (issue 16), on the real local runtime: an Alertmanager alert with a runbook pages a
team by webhook and email; its resolve is announced on both, unless the routing rules say not
to for its severity."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

pytestmark = pytest.mark.usefixtures("fresh_policy")
TEAM = "ctx_team"


def _alertmanager(alertname: str, status: str) -> dict[str, Any]:
    labels = {"alertname": alertname, "severity": "critical", "instance": "db-1"}
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"{alertname} on db-1", "runbook_url": "https://runbooks.example/db-down"},
        "startsAt": "2026-12-02T05:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
        "fingerprint": uuid.uuid5(uuid.NAMESPACE_URL, alertname).hex[:16],
    }
    return {"version": "4", "status": status, "receiver": "vigil", "groupKey": alertname, "alerts": [alert]}


@pytest.fixture
def paged_team(api: ApiClient, receiver: Receiver) -> Iterator[dict[str, Any]]:
    policy = {"rules": [], "repeat": 0, "repeat_after_seconds": 60, "fallback_target": None}
    assert api.put("/api/incident_response/escalation-rules", policy).status == 200
    team = {
        "webhook_url": f"{receiver.url}/{TEAM}",
        "members": [
            {"name": "Ann", "contact_methods": [{"type": "email", "address": "ann.ctx@example.com"}]}
        ],
    }
    assert api.put(f"/api/teams/{TEAM}", team).status == 200
    rules = api.get("/api/incident_response/assignment-rules")
    assert rules.status == 200, rules.body
    by_severity = {**rules.body.get("by_severity", {}), "critical": TEAM}
    assert (
        api.put("/api/incident_response/assignment-rules", {**rules.body, "by_severity": by_severity}).status
        == 200
    )
    yield api.integration("alertmanager")
    api.put("/api/incident_response/assignment-rules", rules.body)
    api.put("/api/alerting/rules", {})


def _webhooks(receiver: Receiver, incident_id: str) -> list[dict[str, Any]]:
    bodies = [json.loads(r.body) for r in receiver.requests if r.path.endswith(f"/{TEAM}")]
    return [b for b in bodies if b["incident"]["incident_id"] == incident_id]


def _emails(api: ApiClient, incident_id: str) -> list[dict[str, Any]]:
    items = api.get("/_local/outbox").body["items"]
    return [o for o in items if o["channel"] == "email" and incident_id in o["body"]["Text"]]


def _fire_and_resolve(api: ApiClient, integration: dict[str, Any], receiver: Receiver) -> str:
    alertname = f"DbDown{uuid.uuid4().hex[:8]}"
    sent = api.post(f"/api/hooks/{integration['token']}", _alertmanager(alertname, "firing"), key=None)
    incident_id = str(sent.body["alerts"][0]["incident_id"])
    wait_for(lambda: _webhooks(receiver, incident_id) and _emails(api, incident_id))
    api.post(f"/api/hooks/{integration['token']}", _alertmanager(alertname, "resolved"), key=None)
    assert api.incident(incident_id)["status"] == "resolved"
    return incident_id


def test_a_page_carries_labels_links_and_count_and_the_resolve_is_announced(
    api: ApiClient, receiver: Receiver, paged_team: dict[str, Any]
) -> None:
    incident_id = _fire_and_resolve(api, paged_team, receiver)

    [page] = _webhooks(receiver, incident_id)[:1]
    context = page["incident"]["context"]
    assert context["alert_count"] == 1
    assert context["labels"]["instance"] == "db-1"
    assert {"title": "runbook", "url": "https://runbooks.example/db-down"} in context["links"]
    assert {"title": "source", "url": "http://prometheus.example:9090/graph?g0.expr=up"} in context["links"]
    [email] = _emails(api, incident_id)[:1]
    assert "Runbook: https://runbooks.example/db-down" in email["body"]["Text"]

    resolved = wait_for(
        lambda: [b for b in _webhooks(receiver, incident_id) if b["event"] == "incident.resolved"]
    )
    assert resolved[0]["incident"]["status"] == "resolved"
    notices = wait_for(
        lambda: [e for e in _emails(api, incident_id) if e["subject"].startswith("[RESOLVED]")]
    )
    assert "RESOLVED at its source" in notices[0]["body"]["Text"]
    messages = [e["message"] for e in api.incident(incident_id)["timeline"]]
    assert f"told {TEAM} that the incident resolved at its source" in messages


def test_the_resolve_notice_is_off_for_severities_the_routing_rules_leave_out(
    api: ApiClient, receiver: Receiver, paged_team: dict[str, Any]
) -> None:
    rules = api.get("/api/alerting/rules").body
    quiet = {**rules, "notify_resolved_for": ["emergency"]}
    assert api.put("/api/alerting/rules", quiet).status == 200
    incident_id = _fire_and_resolve(api, paged_team, receiver)
    messages = [e["message"] for e in api.incident(incident_id)["timeline"]]
    assert not any("resolved at its source" in m and m.startswith("told") for m in messages)
    assert all(b["event"] == "incident.page" for b in _webhooks(receiver, incident_id))
