"""IAM as AWS would apply it to each function: the roles come from template.yaml transformed by
the SAM translator (the one sam-cli uses), and every AWS call a handler makes is evaluated
against its function's role before moto sees it. A call the role does not allow fails with the
error code the service returns; every denial is logged with the function, action and resource.

Calls made outside a function (test setup, the runtime itself) are not checked: the
contextvar `running_function` is set only while the runtime dispatches to a handler."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from local.template import ACCOUNT, REGION, Resolver

log = logging.getLogger("vigil.local.iam")

running_function: ContextVar[str | None] = ContextVar("vigil_local_running_function", default=None)

DENIALS_FILE_SETTING = "VIGIL_LOCAL_IAM_DENIALS"
MANAGED_POLICIES = Path(__file__).with_name("managed_policies.json")

# The error code each service answers a refused call with (botocore raises it as ClientError).
DENIAL_CODES = {"sns": "AuthorizationError", "sqs": "AccessDenied", "ses": "AccessDenied"}
DEFAULT_DENIAL_CODE = "AccessDeniedException"
IAM_PREFIX = {"stepfunctions": "states"}
# Operations whose IAM action has another name.
IAM_ACTION = {("lambda", "Invoke"): "lambda:InvokeFunction"}

# Properties SAM would upload to S3; the translator wants S3 URIs, their content is irrelevant here.
_ARTIFACT_PROPERTIES = ("CodeUri", "ContentUri", "DefinitionUri")


# ---------------------------------------------------------------------- policies
@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Statement:
        return cls(
            effect=raw["Effect"],
            actions=_strings(raw.get("Action")),
            not_actions=_strings(raw.get("NotAction")),
            resources=_strings(raw.get("Resource")),
            not_resources=_strings(raw.get("NotResource")),
        )

    def applies(self, action: str, resource: str) -> bool:
        if self.actions and not _any_match(self.actions, action, ignore_case=True):
            return False
        if self.not_actions and _any_match(self.not_actions, action, ignore_case=True):
            return False
        if self.resources and not _any_match(self.resources, resource):
            return False
        return not (self.not_resources and _any_match(self.not_resources, resource))


@dataclass(frozen=True)
class Role:
    name: str
    statements: tuple[Statement, ...]

    def decide(self, action: str, resource: str) -> str:
        """'allow', or why not: 'explicit deny' beats any Allow, no Allow is an 'implicit deny'."""
        matching = [s for s in self.statements if s.applies(action, resource)]
        if any(s.effect == "Deny" for s in matching):
            return "explicit deny"
        if any(s.effect == "Allow" for s in matching):
            return "allow"
        return "implicit deny"


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _any_match(patterns: Iterable[str], value: str, *, ignore_case: bool = False) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in patterns)


@cache
def _pattern(wildcard: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wildcard)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


# ---------------------------------------------------------------------- roles from the template
def translate(template: dict[str, Any]) -> dict[str, Any]:
    """template.yaml as CloudFormation sees it after the AWS::Serverless transform."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    sam = copy.deepcopy(template)
    for resource in sam["Resources"].values():
        props = resource.get("Properties", {})
        for name in _ARTIFACT_PROPERTIES:
            if isinstance(props.get(name), str):
                props[name] = f"s3://vigil-local-artifacts/{props[name]}"
    translator = Translator({}, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    translated: dict[str, Any] = translator.translate(sam, {}, get_managed_policy_map=lambda: {})
    return translated


# Where each kind of resource names the role it runs with.
_ROLE_PROPERTY = {"AWS::Lambda::Function": "Role", "AWS::StepFunctions::StateMachine": "RoleArn"}


def function_roles(translated: dict[str, Any], resolver: Resolver) -> dict[str, Role]:
    """The role of every function (and state machine), by its logical id."""
    resources = translated["Resources"]
    managed = json.loads(MANAGED_POLICIES.read_text())
    roles = {}
    for logical, resource in resources.items():
        role_property = _ROLE_PROPERTY.get(resource["Type"])
        if role_property is None:
            continue
        role_logical = resource["Properties"][role_property]["Fn::GetAtt"][0]
        role_props = resources[role_logical]["Properties"]
        roles[logical] = Role(role_logical, tuple(_role_statements(role_props, resolver, managed)))
    return roles


def _role_statements(props: dict[str, Any], resolver: Resolver, managed: dict[str, Any]) -> list[Statement]:
    documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
    for arn in resolver.resolve(props.get("ManagedPolicyArns", [])):
        if arn not in managed:
            raise ValueError(f"{arn}: add its policy document to {MANAGED_POLICIES.name}")
        documents.append(managed[arn])
    statements = []
    for document in resolver.resolve(documents):
        raw = document["Statement"]
        statements += [Statement.parse(s) for s in ([raw] if isinstance(raw, dict) else raw)]
    return statements


# ---------------------------------------------------------------------- what a call asks for
def requested_access(
    service: str, operation: str, params: dict[str, Any], task_token_owner: Callable[[str], str]
) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs that AWS authorizes for this call."""
    prefix = IAM_PREFIX.get(service, service)
    special = _SPECIAL.get((service, operation))
    if special is not None:
        return special(params)
    if service == "stepfunctions" and "taskToken" in params:
        return [(f"states:{operation}", task_token_owner(params["taskToken"]))]
    action = IAM_ACTION.get((service, operation), f"{prefix}:{operation}")
    return [(action, resource) for resource in _resources(service, operation, params)]


def _resources(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    arn = f"{REGION}:{ACCOUNT}"
    if service == "dynamodb" and "TableName" in params:
        table = f"arn:aws:dynamodb:{arn}:table/{params['TableName']}"
        return [f"{table}/index/{params['IndexName']}" if params.get("IndexName") else table]
    if service == "sqs" and "QueueUrl" in params:
        return [queue_arn(params["QueueUrl"])]
    if service == "sns":
        target = params.get("TopicArn") or params.get("TargetArn")
        return [target or "*"]  # a publish to a phone number names no resource
    if service == "stepfunctions":
        return [params.get("stateMachineArn") or params.get("executionArn") or "*"]
    if service == "secretsmanager" and "SecretId" in params:
        secret = params["SecretId"]
        return [secret if secret.startswith("arn:") else f"arn:aws:secretsmanager:{arn}:secret:{secret}"]
    if service == "ses" and params.get("Source"):
        return _ses_identities(params["Source"])
    if service == "lambda" and "FunctionName" in params:
        name = params["FunctionName"]
        return [name if name.startswith("arn:") else f"arn:aws:lambda:{arn}:function:{name}"]
    if service == "ssm" and "DocumentName" in params:
        return [f"arn:aws:ssm:{arn}:automation-definition/{params['DocumentName']}:$DEFAULT"]
    return ["*"]


def queue_arn(url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def _ses_identities(source: str) -> list[str]:
    """SES authorizes the identity it sends as: the address if it is verified, else its domain.
    Which one is verified is account state, so locally the role must allow both."""
    address = source.rsplit("<", 1)[-1].rstrip(">").strip()
    domain = address.rsplit("@", 1)[-1]
    base = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity"
    return [f"{base}/{address}", f"{base}/{domain}"]


def _transact_write(params: dict[str, Any]) -> list[tuple[str, str]]:
    actions = {
        "Put": "PutItem",
        "Update": "UpdateItem",
        "Delete": "DeleteItem",
        "ConditionCheck": "ConditionCheckItem",
    }
    pairs = []
    for item in params.get("TransactItems", []):
        for kind, body in item.items():
            pairs.append(
                (
                    f"dynamodb:{actions[kind]}",
                    f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{body['TableName']}",
                )
            )
    return pairs


def _batch(action: str) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    def pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            (action, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{t}") for t in params.get("RequestItems", {})
        ]

    return pairs


def _put_events(params: dict[str, Any]) -> list[tuple[str, str]]:
    buses = {entry.get("EventBusName") or "default" for entry in params.get("Entries", [])}
    return [
        (
            "events:PutEvents",
            bus if bus.startswith("arn:") else f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}",
        )
        for bus in sorted(buses)
    ]


_SPECIAL: dict[tuple[str, str], Callable[[dict[str, Any]], list[tuple[str, str]]]] = {
    ("dynamodb", "TransactWriteItems"): _transact_write,
    ("dynamodb", "BatchWriteItem"): _batch("dynamodb:BatchWriteItem"),
    ("dynamodb", "BatchGetItem"): _batch("dynamodb:BatchGetItem"),
    ("events", "PutEvents"): _put_events,
}


# ---------------------------------------------------------------------- enforcement
@dataclass(frozen=True)
class Denial:
    function: str
    action: str
    resource: str
    reason: str


@dataclass
class Enforcer:
    """Checks the calls of the function that is running against its role."""

    roles: dict[str, Role]
    task_token_owner: Callable[[str], str]
    enabled: bool = True
    denials: list[Denial] = field(default_factory=list)

    def check(self, function: str, service: str, operation: str, params: dict[str, Any]) -> Denial | None:
        role = self.roles[function]
        for action, resource in requested_access(service, operation, params, self.task_token_owner):
            decision = role.decide(action, resource)
            if decision != "allow":
                denial = Denial(function, action, resource, decision)
                self.denials.append(denial)
                log.warning("IAM denied %s: %s on %s (%s)", function, action, resource, decision)
                _append_to_denials_file(denial)
                return denial
        return None

    def watch(self, client: Any) -> None:
        """Register on a boto3 client: its calls are checked while a function is running."""
        service = client.meta.service_model.service_name

        def before_parameter_build(params: dict[str, Any], model: Any, **_: Any) -> None:
            function = running_function.get()
            if not self.enabled or function is None:
                return
            denial = self.check(function, service, model.name, params)
            if denial is not None:
                raise _denied_error(client, service, model.name, denial, self.roles[function].name)

        client.meta.events.register("before-parameter-build", before_parameter_build)


def _append_to_denials_file(denial: Denial) -> None:
    """VIGIL_LOCAL_IAM_DENIALS=path collects the denials of every process (test workers too)."""
    path = os.environ.get(DENIALS_FILE_SETTING)
    if path:
        with open(path, "a") as denials:
            denials.write(json.dumps(denial.__dict__) + "\n")


def _denied_error(client: Any, service: str, operation: str, denial: Denial, role: str) -> Exception:
    code = DENIAL_CODES.get(service, DEFAULT_DENIAL_CODE)
    because = (
        "with an explicit deny in an identity-based policy"
        if denial.reason == "explicit deny"
        else f"because no identity-based policy allows the {denial.action} action"
    )
    message = (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{denial.function} is not authorized to perform: "
        f"{denial.action} on resource: {denial.resource} {because}"
    )
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    error_class: Any = client.exceptions.from_code(code)
    error: Exception = error_class(response, operation)
    return error
