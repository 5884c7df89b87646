"""Injected AWS faults and misbehaving receivers: the documented outcome holds each time.

Faults are injected where AWS would fail: a botocore `before-call` hook on Vigil's own client
raises the error AWS would return, for the next N calls of one operation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from tests.helpers.client import ApiClient, settle, wait_for
from tests.helpers.queues import drop_storm_parts
from tests.helpers.receiver import Receiver

BASE = "/api/incident_response"


@contextmanager
def failing(
    function: str, service: str, operation: str, code: str, times: int = 1
) -> Iterator[dict[str, int]]:
    """Fail the next `times` calls that `function` makes (the client is shared, and other
    functions' background work must not use the injected error up)."""
    from vigil.adapters.aws import client

    from local.iam import running_function

    state = {"left": times}

    def fail(**_: Any) -> None:
        if running_function.get() == function and state["left"] > 0:
            state["left"] -= 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    events = client(service).meta.events
    events.register_first(f"before-call.{service if service != 'stepfunctions' else 'sfn'}.{operation}", fail)
    try:
        yield state
    finally:
        events.unregister(f"before-call.{service if service != 'stepfunctions' else 'sfn'}.{operation}", fail)


def test_start_execution_throttled_tells_the_sender_to_retry_and_the_retry_finishes(api: ApiClient) -> None:
    integration = api.integration("generic")
    alert = {"title": f"throttled start {time.time()}", "severity": "high"}
    with failing("IngestFunction", "stepfunctions", "StartExecution", "ThrottlingException") as fault:
        first = api.post(f"/api/hooks/{integration['token']}", alert, key=None)
    assert fault["left"] == 0
    assert first.status == 503 and first.headers.get("Retry-After") == "1"
    retried = api.post(f"/api/hooks/{integration['token']}", alert, key=None)
    assert retried.status == 200
    incident_id = retried.body["alerts"][0]["incident_id"]
    matching = api.get(f"{BASE}?text={quote(alert['title'])}").body["items"]
    assert [i["incident_id"] for i in matching] == [incident_id]  # one incident, not two
    wait_for(lambda: api.incident(incident_id)["escalation"].get("execution_arn"))


def test_dynamodb_throttled_before_anything_is_stored_is_a_retry_not_a_loss(api: ApiClient) -> None:
    integration = api.integration("generic")
    alert = {"title": f"throttled write {time.time()}", "severity": "low"}
    with failing("IngestFunction", "dynamodb", "UpdateItem", "ProvisionedThroughputExceededException"):
        first = api.post(f"/api/hooks/{integration['token']}", alert, key=None)
    assert first.status == 503
    second = api.post(f"/api/hooks/{integration['token']}", alert, key=None)
    assert second.status == 200 and second.body["alerts"][0]["action"] == "opened"
    stored = api.get(f"/api/alerting/{second.body['alerts'][0]['alert_id']}").body
    assert stored["occurrences"] == 1  # the refused try left nothing behind


def test_send_task_success_failing_still_acknowledges_and_pages_no_one_after(
    api: ApiClient, receiver: Receiver, fresh_policy: None
) -> None:
    api.put(
        f"{BASE}/escalation-rules",
        {
            "rules": [
                {
                    "escalation_level": 1,
                    "escalate_to": "fault_second",
                    "escalate_after_seconds": 3,
                    "notification_channels": ["webhook"],
                }
            ],
            "repeat_after_seconds": 1,
            "fallback_target": None,
        },
    )
    for team in ("fault_first", "fault_second"):
        api.put(f"/api/teams/{team}", {"webhook_url": f"{receiver.url}/{team}"})
    incident_id = api.post(
        BASE, {"title": "ack fault", "severity": "high", "assigned_team": "fault_first"}
    ).body["incident_id"]
    wait_for(lambda: api.incident(incident_id)["escalation"].get("state") == "waiting")
    with failing("ApiFunction", "stepfunctions", "SendTaskSuccess", "ThrottlingException"):
        acked = api.post(f"{BASE}/{incident_id}/acknowledge", {})
    assert acked.status == 200 and acked.body["status"] == "acknowledged"
    time.sleep(4)  # the rung times out; the next step must see the acknowledgement
    timeline = api.incident(incident_id)["timeline"]
    late = [e for e in timeline if e["kind"] == "page" and e["at"] > acked.body["acknowledged_at"]]
    assert late == []
    messages = [e["message"] for e in timeline]
    assert any("could not be stopped at once" in m for m in messages)


def test_ses_rejecting_an_email_falls_back_to_sms(api: ApiClient) -> None:
    api.post("/_local/outbox/reset")
    api.put(
        "/api/teams/fault_mail",
        {
            "members": [
                {
                    "name": "Bo",
                    "contact_methods": [
                        {"type": "email", "address": "bo@example.com"},
                        {"type": "sms", "address": "+15550001111"},
                    ],
                }
            ]
        },
    )
    api.patch("/api/alerting/rules", {"channels_by_severity": {"high": ["email"]}})
    try:
        with failing("DeliverEmailFunction", "ses", "SendEmail", "MessageRejected"):
            incident_id = api.post(
                BASE, {"title": "ses fault", "severity": "high", "assigned_team": "fault_mail"}
            ).body["incident_id"]
            failed = wait_for(
                lambda: [e for e in api.incident(incident_id)["timeline"] if e["kind"] == "delivery_failed"]
            )
    finally:
        api.reset_alerting_rules()
    assert "MessageRejected" in failed[0]["message"] and "1 attempt(s)" in failed[0]["message"]
    sms = wait_for(
        lambda: [
            o
            for o in api.get("/_local/outbox").body["items"]
            if o["channel"] == "sms" and o["target"] == "+15550001111"
        ]
    )
    assert incident_id in sms[0]["body"]


def test_webhook_timeout_is_retried_until_it_answers(api: ApiClient, receiver: Receiver) -> None:
    receiver.delay = 6.0  # past the 5 s read timeout
    api.put("/api/teams/fault_slow", {"webhook_url": receiver.url})
    incident_id = api.post(
        BASE, {"title": "slow receiver", "severity": "high", "assigned_team": "fault_slow"}
    ).body["incident_id"]
    wait_for(lambda: receiver.requests, timeout=10)
    receiver.delay = 0.0
    sent = wait_for(
        lambda: [
            d
            for d in api.get(f"/api/notifications?incident_id={incident_id}").body["items"]
            if d["status"] == "sent"
        ],
        timeout=30,
    )
    assert sent[0]["attempts"] >= 2


@pytest.mark.parametrize("offset", [0.9, 1.0, 1.1])
def test_acknowledge_racing_a_rung_pages_nobody_after_it_is_stored(
    api: ApiClient, receiver: Receiver, fresh_policy: None, offset: float
) -> None:
    api.put(
        f"{BASE}/escalation-rules",
        {
            "rules": [
                {
                    "escalation_level": 1,
                    "escalate_to": "race_second",
                    "escalate_after_seconds": 1,
                    "notification_channels": ["webhook"],
                }
            ],
            "repeat_after_seconds": 1,
            "fallback_target": None,
        },
    )
    for team in ("race_first", "race_second"):
        api.put(f"/api/teams/{team}", {"webhook_url": f"{receiver.url}/{team}"})
    incident_id = api.post(
        BASE, {"title": f"race {offset}", "severity": "high", "assigned_team": "race_first"}
    ).body["incident_id"]
    wait_for(lambda: api.incident(incident_id)["escalation"].get("paged_at"))
    time.sleep(offset)
    acked = api.post(f"{BASE}/{incident_id}/acknowledge", {})
    acknowledged_at = acked.body["acknowledged_at"]
    time.sleep(2.5)
    pages = [e for e in api.incident(incident_id)["timeline"] if e["kind"] == "page"]
    assert all(e["at"] <= acknowledged_at for e in pages), (acknowledged_at, pages)


def test_a_burst_of_distinct_alerts_is_all_stored_and_pages_once_each(
    api: ApiClient, receiver: Receiver, stack: Any
) -> None:
    import os

    count = 1000 if os.environ.get("VIGIL_FUZZ") == "full" else 150
    api.put("/api/teams/burst_team", {"webhook_url": receiver.url})
    integration = api.integration("generic", {"rate_limit_per_minute": 100000})
    marker = f"burst-{time.time()}"
    replies: list[int] = []
    lock = threading.Lock()

    def send(chunk: range) -> None:
        for n in chunk:
            reply = api.post(
                f"/api/hooks/{integration['token']}",
                {"title": f"{marker} {n}", "severity": "high", "labels": {"team": "burst"}},
                key=None,
            )
            with lock:
                replies.append(reply.status)

    threads = [threading.Thread(target=send, args=(range(i, count, 8),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert replies.count(200) == count
    stored = api.get("/api/alerting?source=generic&limit=100").body["items"]
    assert all(a["occurrences"] == 1 for a in stored if a["title"].startswith(marker))
    incidents = api.get(f"{BASE}?text={quote(marker)}&limit=100").body
    assert incidents["items"] and all(i["alert_count"] == 1 for i in incidents["items"])
    settle(stack)  # each incident's ladder runs after the answers


def test_the_management_api_throttled_answers_503_with_retry_after(api: ApiClient) -> None:
    with failing("ApiFunction", "dynamodb", "Query", "ProvisionedThroughputExceededException") as fault:
        reply = api.get(f"{BASE}?limit=5")
    assert fault["left"] == 0
    assert reply.status == 503 and reply.headers.get("Retry-After") == "1"
    assert reply.body["error"]["code"] == "retry"
    assert api.get(f"{BASE}?limit=5").status == 200


def test_a_storm_whose_queue_is_throttled_is_a_retry_not_a_500(api: ApiClient, stack: Any) -> None:
    integration = api.integration("alertmanager")
    group = f"throttledstorm{time.time_ns()}"
    firing = [
        {
            "status": "firing",
            "labels": {"alertname": group, "instance": f"node-{n}"},
            "fingerprint": f"{group}-{n}",
        }
        for n in range(60)
    ]
    body = {"version": "4", "status": "firing", "groupLabels": {"alertname": group}, "alerts": firing}
    with failing("IngestFunction", "sqs", "SendMessage", "ThrottlingException") as fault:
        first = api.post(f"/api/hooks/{integration['token']}", body, key=None)
    assert fault["left"] == 0
    assert first.status == 503 and first.headers.get("Retry-After") == "1"
    retried = api.post(f"/api/hooks/{integration['token']}", body, key=None)
    assert retried.status == 202 and retried.body["queued"] == 60
    # Its parts are the storm function's business (tested elsewhere): not this runtime's next tests'.
    drop_storm_parts(stack)
