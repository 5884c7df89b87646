"""Flapping never pages a resolved problem (issue 16): one Alertmanager alert fires, resolves,
fires, resolves within the flapping window; each resolve resolves its incident and no page goes
out after the last one, on the real ladder. Flapping delays the page of a re-fire, it never
suppresses the resolve."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest
from vigil.config import settings

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

pytestmark = pytest.mark.usefixtures("fresh_policy")

HOLD_SECONDS = 2


def _alertmanager(alertname: str, status: str) -> dict[str, Any]:
    labels = {"alertname": alertname, "severity": "critical", "instance": "db-1"}
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"{alertname} on db-1"},
        "startsAt": "2026-01-07T08:38:00Z",
        "endsAt": "2026-01-07T08:48:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": uuid.uuid5(uuid.NAMESPACE_URL, alertname).hex[:16],
    }
    return {
        "version": "4",
        "status": status,
        "receiver": "vigil",
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "groupLabels": {"alertname": alertname},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager:9093",
        "alerts": [alert],
    }


def _ladder_ended(execution_name: str) -> str:
    machine = settings().state_machine_arn.replace(":stateMachine:", ":execution:")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = f"{machine}:{execution_name}"
    return str(wait_for(lambda: (s := sfn.describe_execution(executionArn=arn)["status"]) != "RUNNING" and s))


def _pages(api: ApiClient, incident_id: str) -> list[dict[str, Any]]:
    return [e for e in api.incident(incident_id)["timeline"] if e["kind"] in ("page", "page_failed")]


@pytest.fixture
def flapping_setup(api: ApiClient, receiver: Receiver) -> dict[str, Any]:
    """A ladder that would page rung 1 after 1 second and the fallback after 2 more."""
    policy = {
        "rules": [
            {"escalation_level": 1, "escalate_to": "flap_seniors", "escalate_after_seconds": 1},
        ],
        "repeat": 0,
        "repeat_after_seconds": 1,
        "fallback_target": "flap_fallback",
    }
    assert api.put("/api/incident_response/escalation-rules", policy).status == 200
    for team in ("emergency_team", "flap_seniors", "flap_fallback"):
        assert api.put(f"/api/teams/{team}", {"webhook_url": f"{receiver.url}/{team}"}).status == 200
    return api.integration("alertmanager", {"flapping_hold_seconds": HOLD_SECONDS})


def test_flapping_alert_never_pages_after_its_last_resolve(
    api: ApiClient, flapping_setup: dict[str, Any]
) -> None:
    token = flapping_setup["token"]
    alertname = f"Flappy{uuid.uuid4().hex[:8]}"

    def send(status: str) -> dict[str, Any]:
        reply = api.post(f"/api/hooks/{token}", _alertmanager(alertname, status), key=None)
        assert reply.status == 200, reply.body
        [outcome] = reply.body["alerts"]
        return dict(outcome)

    first = send("firing")
    assert first["action"] == "opened"
    wait_for(lambda: _pages(api, first["incident_id"]))
    assert send("resolved")["incident_id"] == first["incident_id"]
    second = send("firing")
    assert second["action"] == "opened" and second["incident_id"] != first["incident_id"]
    incident_id = second["incident_id"]
    wait_for(lambda: _pages(api, incident_id))
    _assert_no_stale_records(api, first["incident_id"], incident_id, second["alert_id"])

    assert send("resolved")["action"] == "resolved"  # the 4th change: flapping, and resolved all the same
    assert api.incident(incident_id)["status"] == "resolved"
    assert _ladder_ended(incident_id) == "SUCCEEDED"
    after = api.incident(incident_id)
    assert after["status"] == "resolved"
    time.sleep(HOLD_SECONDS + 1)  # long enough for rung 1 or the fallback, had either been decided
    # A page decided before the resolve may still be on its way (its entry says when it was
    # decided); nothing is decided after it: neither rung 1 nor the fallback.
    late = [e for e in _pages(api, incident_id) if e["at"] > after["resolved_at"]]
    assert late == [], (after["resolved_at"], late)
    assert after["escalation"]["execution_arn"].endswith(f":{incident_id}")  # kept after the ladder ended
    assert any("flapping" in e["message"] for e in after["timeline"]), after["timeline"]


def test_a_flapping_refire_reopens_its_incident_and_a_resolve_within_the_hold_pages_no_one(
    api: ApiClient, flapping_setup: dict[str, Any]
) -> None:
    token = flapping_setup["token"]
    alertname = f"Flappier{uuid.uuid4().hex[:8]}"

    def send(status: str) -> dict[str, Any]:
        reply = api.post(f"/api/hooks/{token}", _alertmanager(alertname, status), key=None)
        [outcome] = reply.body["alerts"]
        return dict(outcome)

    for status in ("firing", "resolved", "firing", "resolved"):
        incident_id = send(status)["incident_id"]
    assert _ladder_ended(incident_id) == "SUCCEEDED"
    paged = _pages(api, incident_id)

    refire = send("firing")  # flapping: back to the same incident, its ladder held
    assert (refire["action"], refire["reason"], refire["incident_id"]) == ("joined", "flapping", incident_id)
    assert api.incident(incident_id)["status"] == "open"
    assert send("resolved")["incident_id"] == incident_id
    assert api.incident(incident_id)["status"] == "resolved"
    assert _ladder_ended(f"{incident_id}-run1") == "SUCCEEDED"  # the hold ended, the ladder stopped
    assert _pages(api, incident_id) == paged

    again = send("firing")  # still flapping, and this time it stays firing: the page comes after the hold
    assert (again["action"], again["incident_id"]) == ("joined", incident_id)
    wait_for(lambda: len(_pages(api, incident_id)) > len(paged))
    messages = [e["message"] for e in api.incident(incident_id)["timeline"]]
    assert any(f"restarts in {HOLD_SECONDS}s" in m for m in messages), messages


def _assert_no_stale_records(api: ApiClient, first_id: str, second_id: str, alert_id: str) -> None:
    """The alert fired into a second incident: the first still lists it, as it was there."""
    first = api.incident(first_id)
    assert first["alert_count"] == 1
    [kept] = first["alerts"]
    assert (kept["alert_id"], kept["status"]) == (alert_id, "resolved")
    [current] = api.incident(second_id)["alerts"]
    assert (current["alert_id"], current["status"]) == (alert_id, "firing")
    assert current["last_seen"] > kept["last_seen"]
    alert = api.get(f"/api/alerting/{alert_id}").body
    assert alert["status"] == "firing" and alert.get("resolved_at") is None  # the old resolve is history
