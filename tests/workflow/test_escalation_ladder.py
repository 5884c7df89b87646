"""The real escalation ASL from template.yaml, executed by moto's interpreter, with its Lambda
tasks dispatched to the real page handler. Rungs wait 1-2 seconds."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from vigil.config import settings
from vigil.domain.escalation import EscalationPolicy, EscalationRule
from vigil.domain.incidents import IncidentIn
from vigil.domain.teams import TeamIn
from vigil.services import escalation, incidents, teams

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

pytestmark = pytest.mark.usefixtures("fresh_policy")


def _sfn() -> Any:
    return boto3.client("stepfunctions", region_name="us-east-1")


def _open(title: str, team: str, severity: str = "critical") -> str:
    record = incidents.create_by_hand(IncidentIn(title=title, severity=severity, assigned_team=team), "test")
    escalation.start_ladder(record.incident_id)
    return str(record.incident_id)


def _pages(incident_id: str) -> list[dict[str, Any]]:
    return [e for e in incidents.timeline(incident_id) if e["kind"] in ("page", "page_failed")]


def _execution_status(incident_id: str) -> str:
    arn = settings().state_machine_arn.replace(":stateMachine:", ":execution:")
    return str(_sfn().describe_execution(executionArn=f"{arn}:{incident_id}")["status"])


def _two_rung_policy(delay: int = 1, repeat: int = 0) -> None:
    escalation.save_policy(
        EscalationPolicy(
            rules=[
                EscalationRule(
                    escalation_level=1,
                    escalate_to="wf_second",
                    escalate_after_seconds=delay,
                    notification_channels=["webhook"],
                )
            ],
            repeat=repeat,
            repeat_after_seconds=1,
            fallback_target="wf_fallback",
        ),
        "test",
    )


@pytest.fixture
def wired_teams(receiver: Receiver) -> Receiver:
    for name in ("wf_first", "wf_second", "wf_fallback"):
        teams.put_team(name, TeamIn(webhook_url=f"{receiver.url}/{name}"))
    return receiver


def test_ladder_pages_rung_zero_at_once_then_escalates_on_timeout(wired_teams: Receiver) -> None:
    _two_rung_policy(delay=1)
    incident_id = _open("disk full on db-1", "wf_first")

    wait_for(lambda: len(_pages(incident_id)) >= 2, timeout=15)
    pages = _pages(incident_id)
    assert [p["data"]["team"] for p in pages[:2]] == ["wf_first", "wf_second"]
    assert any(
        "no one acknowledged" in e["message"] or "nobody acknowledged" in e["message"]
        for e in incidents.timeline(incident_id)
    )
    paths = wait_for(
        lambda: (
            {r.path for r in wired_teams.requests} >= {"/hook/wf_first", "/hook/wf_second"}
            and [r.path for r in wired_teams.requests]
        )
    )
    assert paths.count("/hook/wf_first") == 1


def test_acknowledge_ends_the_ladder_and_nobody_else_is_paged(wired_teams: Receiver, api: ApiClient) -> None:
    _two_rung_policy(delay=2)
    incident_id = _open("api 5xx spike", "wf_first")
    wait_for(lambda: _pages(incident_id))

    reply = api.post(f"/api/incident_response/{incident_id}/acknowledge", {"reason": "looking"})
    assert reply.status == 200 and reply.body["status"] == "acknowledged"

    wait_for(lambda: _execution_status(incident_id) == "SUCCEEDED", timeout=5)
    assert [p["data"]["team"] for p in _pages(incident_id)] == ["wf_first"]
    history = _sfn().get_execution_history(
        executionArn=incidents.get_record(incident_id).escalation.execution_arn
    )["events"]
    assert not any(e["type"] == "TaskTimedOut" for e in history)


def test_manual_escalation_moves_to_the_next_rung_at_once(wired_teams: Receiver, api: ApiClient) -> None:
    _two_rung_policy(delay=300)
    incident_id = _open("queue backlog", "wf_first")
    wait_for(lambda: incidents.get_record(incident_id).waiting_token)

    reply = api.post(
        "/api/incident_response/escalate", {"incident_id": incident_id, "reason": "need db help"}
    )
    assert reply.status == 200, reply.body

    wait_for(lambda: len(_pages(incident_id)) == 2, timeout=5)
    assert _pages(incident_id)[1]["data"]["team"] == "wf_second"
    assert any(e["message"] == "manual escalation: need db help" for e in incidents.timeline(incident_id))


def test_exhausted_ladder_is_recorded_and_pages_the_fallback(wired_teams: Receiver) -> None:
    _two_rung_policy(delay=1, repeat=0)
    incident_id = _open("nobody home", "wf_first")

    wait_for(lambda: _execution_status(incident_id) == "SUCCEEDED", timeout=15)
    kinds = [e["kind"] for e in incidents.timeline(incident_id)]
    assert "escalation" in kinds
    assert any(e["message"].startswith("ladder exhausted") for e in incidents.timeline(incident_id))
    assert [p["data"]["team"] for p in _pages(incident_id)] == ["wf_first", "wf_second", "wf_fallback"]


def test_rung_with_false_condition_is_skipped_and_recorded(wired_teams: Receiver) -> None:
    escalation.save_policy(
        EscalationPolicy(
            rules=[
                EscalationRule(
                    condition="severity == 'low'",
                    escalation_level=1,
                    escalate_to="wf_second",
                    escalate_after_seconds=1,
                    notification_channels=["webhook"],
                ),
                EscalationRule(
                    escalation_level=2,
                    escalate_to="wf_fallback",
                    escalate_after_seconds=1,
                    notification_channels=["webhook"],
                ),
            ],
            repeat_after_seconds=1,
            fallback_target=None,
        ),
        "test",
    )
    incident_id = _open("tls cert expiring", "wf_first")

    wait_for(lambda: _execution_status(incident_id) == "SUCCEEDED", timeout=15)
    timeline = incidents.timeline(incident_id)
    assert any(e["message"] == "rung 1 skipped: its condition is false" for e in timeline)
    assert [p["data"]["team"] for p in _pages(incident_id)] == ["wf_first", "wf_fallback"]


def test_execution_input_is_readable_in_the_console(wired_teams: Receiver) -> None:
    _two_rung_policy(delay=60)
    incident_id = _open("readable execution", "wf_first")
    wait_for(lambda: _pages(incident_id))
    arn = incidents.get_record(incident_id).escalation.execution_arn
    described = _sfn().describe_execution(executionArn=arn)
    assert described["name"] == incident_id
    assert json.loads(described["input"])["incident_id"] == incident_id


def test_resolve_ends_the_ladder_too(wired_teams: Receiver, api: ApiClient) -> None:
    _two_rung_policy(delay=2)
    incident_id = _open("cache miss storm", "wf_first")
    wait_for(lambda: _pages(incident_id))
    assert api.post(f"/api/incident_response/{incident_id}/resolve", {"reason": "fixed"}).status == 200
    wait_for(lambda: _execution_status(incident_id) == "SUCCEEDED", timeout=3)
    assert [p["data"]["team"] for p in _pages(incident_id)] == ["wf_first"]


def test_expired_acknowledgement_resumes_the_ladder(wired_teams: Receiver, api: ApiClient) -> None:
    escalation.save_policy(
        EscalationPolicy(
            rules=[
                EscalationRule(
                    escalation_level=1,
                    escalate_to="wf_second",
                    escalate_after_seconds=60,
                    notification_channels=["webhook"],
                )
            ],
            ack_timeout_seconds=1,
            resume_from_level=1,
            repeat_after_seconds=60,
            fallback_target=None,
        ),
        "test",
    )
    incident_id = _open("acked and forgotten", "wf_first")
    wait_for(lambda: _pages(incident_id))
    assert api.post(f"/api/incident_response/{incident_id}/acknowledge", {}).status == 200

    wait_for(lambda: len(_pages(incident_id)) == 2, timeout=8)
    assert _pages(incident_id)[1]["data"]["team"] == "wf_second"
    record = incidents.get_record(incident_id)
    assert record.status == "open"
    assert any("acknowledgement expired" in e["message"] for e in incidents.timeline(incident_id))


class _Throttle:
    """Makes the next `times` GetItem calls of Vigil's DynamoDB client fail as AWS throttling does,
    in the handlers only (they run on the state machine's thread, not the test's), and only for
    the incident under test (other tests' background work shares the client)."""

    def __init__(self, times: int, incident_id: str = "") -> None:
        self.times = times
        self.incident_id = incident_id

    def __call__(self, model: Any, params: dict[str, Any] | None = None, **_: Any) -> None:
        import threading

        from botocore.exceptions import ClientError

        in_handler = threading.current_thread() is not threading.main_thread()
        ours = self.incident_id in str((params or {}).get("body", ""))  # the request body names the key
        if model.name == "GetItem" and self.times > 0 and in_handler and ours:
            self.times -= 1
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetItem"
            )


def _throttled(times: int, incident_id: str = "") -> _Throttle:
    from vigil.adapters.aws import client

    throttle = _Throttle(times, incident_id)
    client("dynamodb").meta.events.register_first("before-call.dynamodb.GetItem", throttle)
    return throttle


def _unthrottle(throttle: _Throttle) -> None:
    from vigil.adapters.aws import client

    client("dynamodb").meta.events.unregister("before-call.dynamodb.GetItem", throttle)


def test_transient_lambda_error_is_retried_and_the_ladder_goes_on(wired_teams: Receiver) -> None:
    _two_rung_policy(delay=60)
    record = incidents.create_by_hand(IncidentIn(title="throttled once", assigned_team="wf_first"), "test")
    throttle = _throttled(1, record.incident_id)
    try:
        escalation.start_ladder(record.incident_id)
        wait_for(lambda: _pages(record.incident_id), timeout=8)
    finally:
        _unthrottle(throttle)
    assert throttle.times == 0
    history = _sfn().get_execution_history(
        executionArn=incidents.get_record(record.incident_id).escalation.execution_arn
    )["events"]
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert failed and failed[0]["taskFailedEventDetails"]["error"] == "TransientError"
    assert not any("ladder failed" in e["message"] for e in incidents.timeline(record.incident_id))


def test_persistent_lambda_error_is_reported_and_pages_the_fallback(wired_teams: Receiver) -> None:
    _two_rung_policy(delay=60)
    record = incidents.create_by_hand(
        IncidentIn(title="throttled for good", assigned_team="wf_first"), "test"
    )
    incident_id = record.incident_id
    throttle = _throttled(4, incident_id)  # the first Advance and its 3 retries
    try:
        escalation.start_ladder(incident_id)
        # the ASL backs off between retries
        wait_for(lambda: _execution_status(incident_id) == "FAILED", timeout=60)
    finally:
        _unthrottle(throttle)
    assert any(
        e["message"].startswith("the escalation ladder failed") for e in incidents.timeline(incident_id)
    )
    assert [p["data"]["team"] for p in _pages(incident_id)] == ["wf_fallback"]
