"""Lambda semantics of the local runtime: each function's Timeout from template.yaml, a context
whose remaining time is real, and the timeout error Step Functions and SQS would see."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

TIMEOUT = 0.3


@pytest.fixture
def short_timeout(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(stack.timeouts, "PageFunction", TIMEOUT)
    return monkeypatch


def test_timeouts_come_from_the_template(stack: Any) -> None:
    assert stack.timeouts["ApiFunction"] == 20
    assert stack.timeouts["DeliverWebhookFunction"] == 30
    assert set(stack.timeouts) == set(stack.resolver.resources("AWS::Serverless::Function"))


def test_the_context_counts_down_from_the_timeout(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(stack.timeouts, "PageFunction", 5)  # room for a loaded machine
    seen: list[int] = []
    probe = {"probe": "countdown"}

    def handler(event: Any, context: Any) -> None:
        if event != probe:  # a ladder still running from an earlier test
            return
        seen.append(context.get_remaining_time_in_millis())
        time.sleep(0.05)
        seen.append(context.get_remaining_time_in_millis())

    monkeypatch.setitem(stack._handlers, "PageFunction", handler)
    stack.invoke("PageFunction", probe)
    assert 5000 >= seen[0] > seen[1] > 0


def test_an_aws_call_after_the_deadline_never_happens_and_the_invocation_times_out(
    stack: Any, short_timeout: pytest.MonkeyPatch
) -> None:
    from vigil.adapters.aws import client

    calls: list[str] = []

    def handler(event: Any, context: Any) -> None:
        time.sleep(TIMEOUT + 0.05)
        try:
            client("dynamodb").describe_table(TableName=stack.resolver.physical["Table"]["Ref"])
        except Exception:  # a handler's own catch-all must not survive the deadline either
            calls.append("caught")
        calls.append("after")

    short_timeout.setitem(stack._handlers, "PageFunction", handler)
    before = stack.calls["dynamodb:DescribeTable"]
    payload, failed = stack.invoke_serialized("PageFunction", b"{}")

    assert failed
    error = json.loads(payload)
    assert (
        error["errorType"] == "Sandbox.Timedout" and f"after {TIMEOUT:.2f} seconds" in error["errorMessage"]
    )
    assert calls == [] and stack.calls["dynamodb:DescribeTable"] == before


def test_a_result_returned_after_the_deadline_is_a_timeout(
    stack: Any, short_timeout: pytest.MonkeyPatch
) -> None:
    short_timeout.setitem(stack._handlers, "PageFunction", lambda event, context: time.sleep(TIMEOUT + 0.05))
    payload, failed = stack.invoke_serialized("PageFunction", b"{}")
    assert failed and json.loads(payload)["errorType"] == "Sandbox.Timedout"


# ------------------------------------------------------------------ asynchronous invocations
def _alarm_failures(stack: Any) -> list[dict[str, Any]]:
    url = stack.resolver.physical["AlarmFailuresQueue"]["Ref"]
    received = stack.clients["sqs"].receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30
    )
    return [json.loads(m["Body"]) for m in received.get("Messages", [])]


def test_an_alarm_that_fails_every_retry_lands_in_the_on_failure_queue(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []

    def failing(event: Any, context: Any) -> None:
        attempts.append(event["Records"][0]["Sns"]["Message"])
        raise RuntimeError("table unreachable")

    monkeypatch.setitem(stack._handlers, "AlarmFunction", failing)
    with stack.waiting_for_async():
        stack.clients["sns"].publish(TopicArn=stack.resolver.physical["AlarmTopic"]["Ref"], Message="lost?")

    assert attempts == ["lost?"] * 3  # the first try and Lambda's two retries
    [record] = [
        r for r in _alarm_failures(stack) if r["requestPayload"]["Records"][0]["Sns"]["Message"] == "lost?"
    ]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "RuntimeError"


def test_the_publisher_does_not_wait_for_the_subscribed_function(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()
    finished = threading.Event()

    def slow(event: Any, context: Any) -> None:
        release.wait(5)
        finished.set()

    monkeypatch.setitem(stack._handlers, "AlarmFunction", slow)
    with stack.waiting_for_async():
        stack.clients["sns"].publish(TopicArn=stack.resolver.physical["AlarmTopic"]["Ref"], Message="async")
        assert not finished.is_set()  # publish returned while the function still runs
        release.set()
    assert finished.is_set()


# ------------------------------------------------------------------ SQS batch responses
@pytest.mark.parametrize(
    ("types", "result", "failed"),
    [
        (["ReportBatchItemFailures"], {"batchItemFailures": [{"itemIdentifier": "a"}]}, {"a"}),
        (["ReportBatchItemFailures"], {"batchItemFailures": []}, set()),
        (["ReportBatchItemFailures"], None, set()),
        (["ReportBatchItemFailures"], {"batchItemFailures": [{"itemIdentifier": "zz"}]}, {"a", "b"}),
        (["ReportBatchItemFailures"], {"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ([], {"batchItemFailures": [{"itemIdentifier": "a"}]}, set()),
    ],
)
def test_batch_responses_are_read_as_lambda_reads_them(
    types: list[str], result: Any, failed: set[str]
) -> None:
    from local.stack import failed_items

    assert failed_items(result, {"FunctionResponseTypes": types}, {"a", "b"}) == failed


# ------------------------------------------------------------------ API Gateway
def test_the_stage_prefix_of_the_deployed_url_reaches_the_same_routes(api: Any) -> None:
    staged = api.get("/dev/api/health")
    assert staged.status == 200 and staged.body["status"] == api.get("/api/health").body["status"]
    assert api.get("/dev/nope").status == 403  # API Gateway's answer to an unknown route
