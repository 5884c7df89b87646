"""Notifications over real HTTP on loopback: signatures, retries, dead letters and fallbacks,
the SSRF rules, Slack actions and signed email links."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.parse
from typing import Any

import boto3
import pytest
from vigil.domain.slack import expected_signature

from tests.helpers.client import ApiClient, wait_for
from tests.helpers.receiver import Receiver

BASE = "/api/incident_response"


def _secret(stack: Any) -> dict[str, Any]:
    arn = stack.resolver.physical["SigningSecret"]["Ref"]
    raw = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=arn)[
        "SecretString"
    ]
    return dict(json.loads(raw))


def _page_team(api: ApiClient, team: str, body: dict[str, Any], severity: str = "high") -> str:
    assert api.put(f"/api/teams/{team}", body).status == 200
    created = api.post(BASE, {"title": f"disk full on {team}", "severity": severity, "assigned_team": team})
    assert created.status == 201
    return str(created.body["incident_id"])


def _ledger(api: ApiClient, incident_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/notifications?incident_id={incident_id}").body["items"])


def test_webhook_page_arrives_once_with_a_valid_signature(
    api: ApiClient, receiver: Receiver, stack: Any
) -> None:
    incident_id = _page_team(api, "n_sig", {"webhook_url": receiver.url})
    wait_for(lambda: receiver.requests)
    time.sleep(1.5)  # a duplicate would arrive within the local retry delay
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    key = _secret(stack)["current"].encode()
    header = request.headers["X-Vigil-Signature"]
    stamp = header.split(",")[0].removeprefix("t=")
    signed = f"{stamp}.".encode() + request.body
    assert header == f"t={stamp},v1={hmac.new(key, signed, hashlib.sha256).hexdigest()}"
    assert abs(int(stamp) - time.time()) < 60
    body = json.loads(request.body)
    assert body["schema"] == "vigil.incident.v1" and body["incident"]["incident_id"] == incident_id
    assert request.headers["X-Vigil-Delivery"] == body["delivery_id"]
    ledger = wait_for(lambda: [d for d in _ledger(api, incident_id) if d["status"] == "sent"])
    assert ledger[0]["attempts"] == 1 and ledger[0]["last_status_code"] == 200


def test_receiver_failing_twice_gets_exactly_one_successful_delivery(
    api: ApiClient, receiver: Receiver
) -> None:
    receiver.fail_times = 2
    incident_id = _page_team(api, "n_retry", {"webhook_url": receiver.url})
    sent = wait_for(lambda: [d for d in _ledger(api, incident_id) if d["status"] == "sent"], timeout=20)
    assert sent[0]["attempts"] == 3
    assert len(receiver.requests) == 3
    assert len({r.headers["X-Vigil-Delivery"] for r in receiver.requests}) == 1
    kinds = [e["kind"] for e in api.incident(incident_id)["timeline"]]
    assert "notified" in kinds and "delivery_failed" not in kinds


def test_receiver_that_always_fails_ends_in_the_dlq_with_a_fallback(
    api: ApiClient, receiver: Receiver, stack: Any
) -> None:
    receiver.status = 503
    api.post("/_local/outbox/reset")
    body = {
        "webhook_url": receiver.url,
        "members": [
            {"name": "Ann", "contact_methods": [{"type": "email", "address": "ann.fallback@example.com"}]}
        ],
    }
    api.patch("/api/alerting/rules", {"channels_by_severity": {"high": ["webhook"]}})
    try:
        incident_id = _page_team(api, "n_dead", body)
        failed = wait_for(
            lambda: [e for e in api.incident(incident_id)["timeline"] if e["kind"] == "delivery_failed"],
            timeout=30,
        )
    finally:
        api.reset_alerting_rules()
    assert "failed after 5 attempt(s)" in failed[0]["message"]
    assert len(receiver.requests) == 5
    emails = wait_for(
        lambda: [
            o
            for o in api.get("/_local/outbox").body["items"]
            if o["channel"] == "email" and o["target"] == "ann.fallback@example.com"
        ]
    )
    assert incident_id in emails[0]["body"]["Text"]
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.get_queue_url(QueueName=stack.resolver.physical["WebhookDLQ"]["QueueName"])["QueueUrl"]

    def dead_letters() -> list[dict[str, Any]]:
        """Every message of the DLQ (other tests leave theirs there too), then ours among them."""
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(50):
            batch = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=30)
            if not batch.get("Messages"):
                break
            seen.update({m["MessageId"]: m for m in batch["Messages"]})
        return [m for m in seen.values() if incident_id in m["Body"]]

    assert wait_for(dead_letters, timeout=10)
    ledger = _ledger(api, incident_id)
    webhook = next(d for d in ledger if d["channel"] == "webhook")
    assert webhook["status"] == "failed" and webhook["last_status_code"] == 503

    receiver.status = 200
    replayed = api.post(f"/api/notifications/{webhook['delivery_id']}/replay")
    assert replayed.status == 200
    wait_for(
        lambda: [d for d in _ledger(api, incident_id) if d["channel"] == "webhook" and d["status"] == "sent"]
    )
    assert api.post(f"/api/notifications/{webhook['delivery_id']}/replay").status == 422


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"status": 302, "reply_headers": {"Location": "http://127.0.0.1:9/elsewhere"}}, "302"),
        ({"reply_body": b"x" * 70_000}, "larger than"),
    ],
)
def test_redirects_and_oversized_responses_are_refused(
    api: ApiClient, receiver: Receiver, reply: dict[str, Any], expected: str
) -> None:
    for name, value in reply.items():
        setattr(receiver, name, value)
    incident_id = _page_team(api, f"n_refuse_{expected[:3]}", {"webhook_url": receiver.url})
    failed = wait_for(lambda: [d for d in _ledger(api, incident_id) if d["status"] == "failed"])
    assert expected in failed[0]["detail"]
    time.sleep(1.2)
    assert len(receiver.requests) == 1  # refused for good: neither followed nor retried


def _slack_request(
    api: ApiClient, secret: bytes, incident_id: str, *, age: int = 0, tamper: bool = False
) -> Any:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "username": "ann"},
        "actions": [{"action_id": "acknowledge", "value": incident_id}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()) - age)
    signature = expected_signature(secret, timestamp, body)
    if tamper:
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    return api.post(
        "/api/slack/actions",
        raw=body,
        key=None,
        headers={
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def test_slack_actions_need_a_genuine_fresh_signature(api: ApiClient, stack: Any) -> None:
    secret_arn = stack.resolver.physical["SigningSecret"]["Ref"]
    value = _secret(stack)
    value["slack_signing_secret"] = "slack-test-secret"
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=secret_arn, SecretString=json.dumps(value)
    )
    incident_id = api.post(BASE, {"title": "slack ack", "severity": "medium"}).body["incident_id"]

    assert _slack_request(api, b"slack-test-secret", incident_id, tamper=True).status == 401
    assert _slack_request(api, b"slack-test-secret", incident_id, age=600).status == 401
    assert _slack_request(api, b"another-secret", incident_id).status == 401
    assert api.incident(incident_id)["status"] == "open"
    good = _slack_request(api, b"slack-test-secret", incident_id)
    assert good.status == 200 and "acknowledged by ann" in good.body["text"]
    assert api.incident(incident_id)["status"] == "acknowledged"
    moves = [e for e in api.incident(incident_id)["timeline"] if e["kind"] == "status"]
    assert moves[-1]["actor"] == "slack:ann"


def test_email_has_both_parts_and_single_use_signed_links(api: ApiClient) -> None:
    api.post("/_local/outbox/reset")
    incident_id = _page_team(api, "n_mail", {"email_list": ["oncall.mail@example.com"]}, severity="critical")
    email = wait_for(
        lambda: [
            o
            for o in api.get("/_local/outbox").body["items"]
            if o["channel"] == "email" and o["target"] == "oncall.mail@example.com"
        ]
    )[0]
    assert set(email["body"]) == {"Html", "Text"}
    assert email["subject"].startswith("🚨 CRITICAL ALERT: disk full on n_mail")
    assert incident_id in email["body"]["Text"] and "n_mail" in email["body"]["Html"]
    link = re.search(r"Acknowledge: (\S+)", email["body"]["Text"]).group(1)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]
    path = f"/api/actions?token={token}"

    page = api.get(path, key=None)
    assert page.status == 200 and "<form" in page.body and api.incident(incident_id)["status"] == "open"
    tampered = token.replace(token[5], "A" if token[5] != "A" else "B", 1)
    assert api.post(f"/api/actions?token={tampered}", key=None).status == 401
    done = api.post(
        "/api/actions",
        raw=urllib.parse.urlencode({"token": token}).encode(),
        key=None,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status == 200 and "acknowledged" in done.body
    assert api.incident(incident_id)["status"] == "acknowledged"
    again = api.post("/api/actions", raw=urllib.parse.urlencode({"token": token}).encode(), key=None)
    assert again.status == 401 and "already been used" in again.body


def test_test_endpoint_sends_now_and_reports(api: ApiClient, receiver: Receiver) -> None:
    api.put("/api/teams/n_test", {"webhook_url": receiver.url})
    reply = api.post("/api/alerting/test", {"team": "n_test", "channels": ["webhook", "sms"]})
    assert reply.status == 200
    results = {r["channel"]: r for r in reply.body["results"]}
    assert results["webhook"]["ok"] is True and results["webhook"]["status_code"] == 200
    assert results["sms"]["ok"] is False and "no sms destination" in results["sms"]["detail"]
    assert len(receiver.requests) == 1 and b"Vigil test notification" in receiver.requests[0].body


def test_templates_are_validated_by_rendering(api: ApiClient) -> None:
    bad = api.put("/api/alerting/templates/email_subject", {"source": "{{ incident.nope.deeper }}"})
    assert bad.status == 400 and bad.body["error"]["details"][0]["field"] == "source"
    assert api.put("/api/alerting/templates/no_such", {"source": "x"}).status == 404
    good = api.put("/api/alerting/templates/email_subject:low", {"source": "[low] {{ incident.title }}"})
    assert good.status == 200 and good.body["preview"] == "[low] Database connection failure"
    listed = {t["template_id"]: t for t in api.get("/api/alerting/templates").body["items"]}
    assert listed["email_subject:low"]["custom"] is True and listed["email_html"]["custom"] is False
    assert api.call("DELETE", "/api/alerting/templates/email_subject:low").status == 200
