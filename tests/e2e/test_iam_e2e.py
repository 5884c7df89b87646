"""IAM enforcement of the local runtime: each function runs with the role SAM generates for it
from template.yaml, and a call that role does not allow fails as AWS would fail it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local import iam

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def running_as() -> Iterator[Callable[[str], None]]:
    tokens = []

    def run_as(function: str) -> None:
        tokens.append(iam.running_function.set(function))

    yield run_as
    for token in reversed(tokens):
        iam.running_function.reset(token)


def test_a_function_whose_role_lacks_an_action_gets_access_denied(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = stack.resolver.physical["EscalationStateMachine"]["Ref"]
    role = stack.iam.roles["ApiFunction"]
    without = iam.Role(
        role.name, tuple(s for s in role.statements if not s.applies("states:DescribeStateMachine", machine))
    )
    monkeypatch.setitem(stack.iam.roles, "ApiFunction", without)
    before = len(stack.iam.denials)

    result = stack.invoke("ApiFunction", json.loads((EVENTS / "api_health.json").read_text()))

    body = json.loads(result["body"])
    assert body["status"] == "degraded"
    down = [c["component"] for c in body["components"] if c["status"] == "down"]
    assert down == ["escalation"]
    assert stack.iam.denials[before:] == [
        iam.Denial("ApiFunction", "states:DescribeStateMachine", machine, "implicit deny")
    ]


def test_the_unchanged_role_allows_the_same_call(stack: Any) -> None:
    before = len(stack.iam.denials)
    result = stack.invoke("ApiFunction", json.loads((EVENTS / "api_health.json").read_text()))
    assert json.loads(result["body"])["status"] == "ok"
    assert stack.iam.denials[before:] == []


def _email_queue_url(stack: Any) -> str:
    return str(stack.resolver.physical["EmailQueue"]["Ref"])


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        (
            "sqs",
            lambda c, s: c.change_message_visibility(
                QueueUrl=_email_queue_url(s), ReceiptHandle="x", VisibilityTimeout=1
            ),
            "AccessDenied",
        ),
        (
            "sns",
            lambda c, s: c.publish(TopicArn=s.resolver.physical["AlarmTopic"]["Ref"], Message="x"),
            "AuthorizationError",
        ),
        (
            "ses",
            lambda c, s: c.send_email(
                Source="vigil@example.com",
                Destination={"ToAddresses": ["a@example.com"]},
                Message={"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}},
            ),
            "AccessDenied",
        ),
        (
            "dynamodb",
            lambda c, s: c.scan(TableName=s.resolver.physical["Table"]["Ref"]),
            "AccessDeniedException",
        ),
        (
            "stepfunctions",
            lambda c, s: c.start_execution(
                stateMachineArn=s.resolver.physical["EscalationStateMachine"]["Ref"]
            ),
            "AccessDeniedException",
        ),
    ],
)
def test_a_refused_call_raises_the_error_code_of_its_service(
    stack: Any, running_as: Callable[[str], None], service: str, call: Callable[[Any, Any], Any], code: str
) -> None:
    from vigil.adapters.aws import client

    running_as("DeliverSlackFunction")
    with pytest.raises(ClientError) as refused:
        call(client(service), stack)
    assert refused.value.response["Error"]["Code"] == code
    assert (
        "DeliverSlackRole/DeliverSlackFunction is not authorized"
        in refused.value.response["Error"]["Message"]
    )


def test_calls_made_outside_any_function_are_not_checked(stack: Any) -> None:
    from vigil.adapters.aws import client

    assert iam.running_function.get() is None
    before = len(stack.iam.denials)
    client("dynamodb").scan(TableName=stack.resolver.physical["Table"]["Ref"], Limit=1)
    assert stack.iam.denials[before:] == []


def test_deliver_roles_reach_only_their_own_queue(stack: Any) -> None:
    role = stack.iam.roles["DeliverEmailFunction"]
    own = stack.resolver.physical["EmailQueue"]["Arn"]
    other = stack.resolver.physical["SlackQueue"]["Arn"]
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"):
        assert role.decide(action, own) == "allow"
        assert role.decide(action, other) == "implicit deny"


def test_no_function_may_scan_or_batch_the_table(stack: Any) -> None:
    """Only the API reads in batches: the people a schedule or a policy names."""
    table = stack.resolver.physical["Table"]["Arn"]
    for function, role in stack.iam.roles.items():
        for action in ("dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem"):
            batch_read = (function, action) == ("ApiFunction", "dynamodb:BatchGetItem")
            expected = "allow" if batch_read else "implicit deny"
            assert role.decide(action, table) == expected, (function, action)


def test_the_state_machine_may_invoke_the_page_function_only(stack: Any) -> None:
    page = stack.resolver.physical["PageFunction"]["Arn"]
    api = stack.resolver.physical["ApiFunction"]["Arn"]
    assert stack.iam.roles["EscalationStateMachine"].decide("lambda:InvokeFunction", page) == "allow"
    stack.check_state_machine_may_invoke(page)
    with pytest.raises(ClientError) as refused:
        stack.check_state_machine_may_invoke(api)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert stack.iam.denials[-1] == iam.Denial(
        "EscalationStateMachine", "lambda:InvokeFunction", api, "implicit deny"
    )
