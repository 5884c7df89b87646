"""What template.yaml promises an operator, checked on the template itself (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local.template import ROOT, load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def _of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def test_every_function_logs_to_a_group_with_a_retention() -> None:
    for name, function in _of_type("AWS::Serverless::Function").items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert RESOURCES[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_alarms_notify_operators_and_never_page_through_vigil() -> None:
    alarms = _of_type("AWS::CloudWatch::Alarm")
    assert {
        "DeadLetterAlarm",
        "FunctionErrorsAlarm",
        "EscalationFailuresAlarm",
        "ApiServerErrorsAlarm",
    } <= set(alarms)
    for name, alarm in alarms.items():
        actions = alarm["Properties"]["AlarmActions"] + alarm["Properties"].get("OKActions", [])
        assert actions and all(a == {"Ref": "OperatorTopic"} for a in actions), name


def test_the_function_errors_alarm_sums_every_function() -> None:
    metrics = RESOURCES["FunctionErrorsAlarm"]["Properties"]["Metrics"]
    watched = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"] for m in metrics if "MetricStat" in m
    }
    assert watched == set(_of_type("AWS::Serverless::Function"))


def test_asynchronously_invoked_functions_keep_what_failed() -> None:
    for name, function in _of_type("AWS::Serverless::Function").items():
        kinds = {e["Type"] for e in function["Properties"].get("Events", {}).values()}
        if kinds & {"SNS", "EventBridgeRule"}:
            on_failure = function["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
            assert on_failure["Destination"] == {"Fn::GetAtt": ["AlarmFailuresQueue", "Arn"]}, name


def test_the_signing_secret_outlives_the_stack() -> None:
    secret = RESOURCES["SigningSecret"]
    assert secret["DeletionPolicy"] == secret["UpdateReplacePolicy"] == "Retain"


def test_lambda_tasks_retry_lambda_timeouts() -> None:
    asl = json.loads((ROOT / "statemachine" / "escalation.asl.json").read_text())
    lambda_tasks = [s for s in asl["States"].values() if "lambda:invoke" in s.get("Resource", "")]
    assert lambda_tasks
    for state in lambda_tasks:
        retried = {error for retry in state["Retry"] for error in retry["ErrorEquals"]}
        timeouts = {"Lambda.ClientExecutionTimeoutException", "Lambda.Unknown", "Sandbox.Timedout"}
        assert "States.ALL" in retried or timeouts <= retried


def test_the_layer_ships_boto3_with_its_botocore() -> None:
    pins = dict(
        line.split("==", 1)
        for line in (Path(ROOT) / "layers" / "core" / "requirements.txt").read_text().splitlines()
        if "==" in line
    )
    assert "boto3" in pins and pins["boto3"] == pins["botocore"]


def test_no_policy_grants_sqs_on_every_queue() -> None:
    for name, role in _of_type("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                if any(a.startswith("sqs:") for a in actions):
                    assert statement.get("Resource") != "*", name
    for name, function in _of_type("AWS::Serverless::Function").items():
        if any(e["Type"] == "SQS" for e in function["Properties"].get("Events", {}).values()):
            assert "Role" in function["Properties"], f"{name}: SAM's SQS policy covers every queue"


def test_named_resources_keep_their_logical_ids_and_names_across_upgrades() -> None:
    """A renamed logical id with a fixed name fails `sam deploy` on an existing stack, and a new
    name replaces the resource: the ladders in flight call the function ARN they started with."""
    deployed = json.loads((ROOT / "tests/fixtures/deployed_names.json").read_text())["names"]
    for logical, name in deployed.items():
        assert logical in RESOURCES, f"{logical} is deployed: keep its logical id"
        properties = RESOURCES[logical]["Properties"]
        named = [v for v in properties.values() if v == {"Fn::Sub": name}]
        assert named, f"{logical} is deployed as {name}: keep the name"
