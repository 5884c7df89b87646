"""The scenarios of issue 14, each of which failed on AWS while passing locally, replayed with
every function held to the role SAM generates for it: none of them may be refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from vigil.domain.escalation import EscalationPolicy, EscalationRule
from vigil.domain.incidents import IncidentIn, Status
from vigil.domain.teams import TeamIn
from vigil.services import escalation, incidents, teams

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

BASE = "/api/incident_response"


@pytest.fixture(autouse=True)
def no_denial(stack: Any) -> Iterator[None]:
    assert stack.iam.enabled
    before = len(stack.iam.denials)
    yield
    assert stack.iam.denials[before:] == []


@pytest.fixture
def webhook_only_rules(api: ApiClient) -> Iterator[None]:
    api.patch("/api/alerting/rules", {"channels_by_severity": {"high": ["webhook"]}})
    yield
    api.reset_alerting_rules()


def _deliveries(api: ApiClient, incident_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/notifications?incident_id={incident_id}").body["items"])


def _outbox(api: ApiClient, channel: str, target: str) -> list[dict[str, Any]]:
    items = api.get("/_local/outbox").body["items"]
    return [o for o in items if o["channel"] == channel and o["target"] == target]


def test_webhook_gone_410_is_final_and_falls_back_to_email_then_replays(
    api: ApiClient, receiver: Receiver, webhook_only_rules: None
) -> None:
    receiver.status = 410
    member = {"name": "Cy", "contact_methods": [{"type": "email", "address": "cy.gone@example.com"}]}
    assert api.put("/api/teams/c_gone", {"webhook_url": receiver.url, "members": [member]}).status == 200
    incident_id = api.post(BASE, {"title": "gone", "severity": "high", "assigned_team": "c_gone"}).body[
        "incident_id"
    ]

    emails = wait_for(lambda: _outbox(api, "email", "cy.gone@example.com"), timeout=15)
    assert incident_id in emails[0]["body"]["Text"] and emails[0]["result"] == "sent"
    assert len(receiver.requests) == 1  # final at once: never retried
    webhook = next(d for d in _deliveries(api, incident_id) if d["channel"] == "webhook")
    assert webhook["status"] == "failed" and webhook["last_status_code"] == 410

    receiver.status = 200
    assert api.post(f"/api/notifications/{webhook['delivery_id']}/replay").status == 200
    wait_for(
        lambda: [
            d for d in _deliveries(api, incident_id) if d["channel"] == "webhook" and d["status"] == "sent"
        ]
    )


def test_transient_failures_are_retried_after_the_backoff_set_on_the_message(
    api: ApiClient, receiver: Receiver, stack: Any
) -> None:
    receiver.fail_times = 2
    backoffs = stack.calls["sqs:ChangeMessageVisibility"]
    api.put("/api/teams/c_flaky", {"webhook_url": receiver.url})
    incident_id = api.post(BASE, {"title": "flaky", "severity": "high", "assigned_team": "c_flaky"}).body[
        "incident_id"
    ]
    sent = wait_for(lambda: [d for d in _deliveries(api, incident_id) if d["status"] == "sent"], timeout=20)
    assert sent[0]["attempts"] == 3
    assert stack.calls["sqs:ChangeMessageVisibility"] - backoffs >= 2


@pytest.mark.usefixtures("fresh_policy")
def test_acknowledged_between_advance_and_page_pages_nobody_and_not_the_fallback(
    receiver: Receiver, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("c_first", "c_fallback"):
        teams.put_team(name, TeamIn(webhook_url=f"{receiver.url}/{name}"))
    escalation.save_policy(
        EscalationPolicy(
            rules=[EscalationRule(escalation_level=1, escalate_to="c_first", escalate_after_seconds=1)],
            repeat_after_seconds=1,
            fallback_target="c_fallback",
        ),
        "test",
    )
    record = incidents.create_by_hand(
        IncidentIn(title="ack race", severity="critical", assigned_team="c_first"), "t"
    )
    incident_id = record["incident_id"]
    invoke = stack.invoke

    def acknowledge_just_before_the_page(logical: str, event: Any) -> Any:
        if (
            logical == "PageFunction"
            and event.get("action") == "page"
            and event.get("incident_id") == incident_id
        ):
            incidents.change_status(incident_id, Status.ACKNOWLEDGED, actor="test")
        return invoke(logical, event)

    monkeypatch.setattr(stack, "invoke", acknowledge_just_before_the_page)
    escalation.start_ladder(incident_id)

    machine = stack.resolver.physical["EscalationStateMachine"]["Ref"]
    arn = f"{machine.replace(':stateMachine:', ':execution:')}:{incident_id}"
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    status = wait_for(
        lambda: (s := sfn.describe_execution(executionArn=arn)["status"]) != "RUNNING" and s, timeout=10
    )
    assert status == "SUCCEEDED"
    assert receiver.requests == []  # neither the acknowledged team nor the fallback
    kinds = [e["kind"] for e in incidents.timeline(incident_id)]
    assert "page" not in kinds and "page_failed" not in kinds


def test_health_is_ok(api: ApiClient) -> None:
    health = api.get("/api/health").body
    assert health["status"] == "ok", health


def test_test_notifications_send_email_and_sms(api: ApiClient) -> None:
    member = {
        "name": "Di",
        "contact_methods": [
            {"type": "email", "address": "di.test@example.com"},
            {"type": "sms", "address": "+15550002222"},
        ],
    }
    api.put("/api/teams/c_test", {"members": [member]})
    reply = api.post("/api/alerting/test", {"team": "c_test", "channels": ["email", "sms"]})
    assert reply.status == 200
    results = {r["channel"]: r for r in reply.body["results"]}
    assert results["email"]["ok"] is True and results["sms"]["ok"] is True, results
    assert _outbox(api, "email", "di.test@example.com") and _outbox(api, "sms", "+15550002222")
