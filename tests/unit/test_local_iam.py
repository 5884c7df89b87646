"""The policy evaluation of the local runtime: wildcards, NotAction/NotResource, Deny over Allow,
and the resources a call names."""

from __future__ import annotations

import pytest

from local.iam import Role, Statement, queue_arn, requested_access

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/vigil-dev"
TOPIC = "arn:aws:sns:us-east-1:123456789012:vigil-notifications-dev"


def _role(*statements: dict[str, object]) -> Role:
    return Role("TestRole", tuple(Statement.parse(s) for s in statements))


def test_wildcards_match_actions_case_insensitively_and_resources_exactly() -> None:
    role = _role({"Effect": "Allow", "Action": "DynamoDB:Get*", "Resource": f"{TABLE[:-3]}?e?"})
    assert role.decide("dynamodb:GetItem", TABLE) == "allow"
    assert role.decide("dynamodb:PutItem", TABLE) == "implicit deny"
    assert role.decide("dynamodb:GetItem", TABLE.replace("vigil-dev", "vigil-prod")) == "implicit deny"
    assert role.decide("dynamodb:GetItem", f"{TABLE}/index/gsi1") == "implicit deny"


def test_explicit_deny_beats_any_allow() -> None:
    role = _role(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sns:Publish", "Resource": TOPIC},
    )
    assert role.decide("sns:Publish", TOPIC) == "explicit deny"
    assert role.decide("sns:Publish", TOPIC + "-other") == "allow"


def test_not_resource_allows_sms_but_no_topic() -> None:
    role = _role({"Effect": "Allow", "Action": "sns:Publish", "NotResource": "arn:aws:sns:*:*:*"})
    assert role.decide("sns:Publish", "*") == "allow"
    assert role.decide("sns:Publish", TOPIC) == "implicit deny"


def test_not_action_allows_everything_else() -> None:
    role = _role({"Effect": "Allow", "NotAction": ["dynamodb:Scan", "dynamodb:Batch*"], "Resource": TABLE})
    assert role.decide("dynamodb:Query", TABLE) == "allow"
    assert role.decide("dynamodb:BatchWriteItem", TABLE) == "implicit deny"
    assert role.decide("dynamodb:Scan", TABLE) == "implicit deny"


def _no_token(token: str) -> str:
    raise AssertionError(token)


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        (
            "dynamodb",
            "Query",
            {"TableName": "vigil-dev", "IndexName": "gsi1"},
            [("dynamodb:Query", f"{TABLE}/index/gsi1")],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "vigil-dev"}},
                    {"ConditionCheck": {"TableName": "vigil-dev"}},
                ]
            },
            [("dynamodb:PutItem", TABLE), ("dynamodb:ConditionCheckItem", TABLE)],
        ),
        (
            "sqs",
            "ChangeMessageVisibility",
            {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/vigil-email-dev"},
            [("sqs:ChangeMessageVisibility", "arn:aws:sqs:us-east-1:123456789012:vigil-email-dev")],
        ),
        ("sns", "Publish", {"PhoneNumber": "+15550001111"}, [("sns:Publish", "*")]),
        (
            "ses",
            "SendEmail",
            {"Source": "Vigil <vigil@example.com>"},
            [
                ("ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/vigil@example.com"),
                ("ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/example.com"),
            ],
        ),
        (
            "events",
            "PutEvents",
            {"Entries": [{"EventBusName": "vigil-dev"}, {}]},
            [
                ("events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default"),
                ("events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/vigil-dev"),
            ],
        ),
        (
            "stepfunctions",
            "DescribeStateMachine",
            {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m"},
            [("states:DescribeStateMachine", "arn:aws:states:us-east-1:123456789012:stateMachine:m")],
        ),
    ],
)
def test_a_call_names_the_action_and_resource_aws_authorizes(
    service: str, operation: str, params: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert requested_access(service, operation, params, _no_token) == expected


def test_task_tokens_are_authorized_against_the_state_machine_that_owns_them() -> None:
    pairs = requested_access(
        "stepfunctions", "SendTaskSuccess", {"taskToken": "t0k"}, lambda token: f"owner-of-{token}"
    )
    assert pairs == [("states:SendTaskSuccess", "owner-of-t0k")]


def test_queue_urls_become_queue_arns() -> None:
    assert (
        queue_arn("https://sqs.us-east-1.amazonaws.com/111122223333/q/")
        == "arn:aws:sqs:us-east-1:111122223333:q"
    )
