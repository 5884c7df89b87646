"""The whole stack of template.yaml on in-process moto: tables, topics, queues, subscriptions,
functions, event source mappings, EventBridge rules and the escalation state machine.

What moto cannot do on its own is done here, reading the wiring from moto itself so that
nothing is defined twice: Lambda invocations (from Step Functions, SNS, EventBridge and the
SQS pollers) are dispatched in-process to the real handlers in functions/<name>/app.py, each
within its function's Timeout and held to its IAM role (local/iam.py); SNS and EventBridge
invoke asynchronously, with Lambda's retries and OnFailure destination.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import re
import secrets
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from local import iam, moto_speed
from local.log_keys import keep_log_keys_per_thread
from local.template import ACCOUNT, REGION, ROOT, TEMPLATE, Resolver, load_template

_log = logging.getLogger("vigil.local")


_STATE_NAME = re.compile(r"'name': '([^']+)', 'query_language'")


def _state_failure_lines(record: logging.LogRecord) -> bool:
    """moto logs a state's failure with the repr of the whole state, several KB of its parse
    tree (at every rung's timeout too): the line keeps the error and names the state instead.
    It also logs an error when a Choice tests `IsPresent` on a path the input lacks, then
    evaluates the rule as AWS does (not present): that line is noise, not a failure."""
    if not (isinstance(record.args, tuple) and len(record.args) == 2):
        return True
    error, component = (str(arg) for arg in record.args)
    if error.startswith("Exception=NoSuchJsonPathError") and "StringJsonPath" in component:
        return False
    state = _STATE_NAME.search(component)
    record.args = (error, f"state {state.group(1)}" if state else component[:200])
    return True


logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").addFilter(_state_failure_lines)
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
LOCAL_RETRY_SECONDS = 1
# Set to 0 to run the functions without their roles (every AWS call allowed).
IAM_SETTING = "VIGIL_LOCAL_IAM"
LOCAL_ENVIRONMENT = {
    "VIGIL_RETRY_BASE_SECONDS": "0.25",  # delivery backoff in quarter seconds, so demos do not wait
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


@dataclass(frozen=True)
class Route:
    """One API Gateway route of a function: path pattern (e.g. /api/{proxy+}) and method."""

    path: str
    method: str
    function: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        wanted = [p for p in self.path.split("/") if p]
        given = [p for p in path.split("/") if p]
        params: dict[str, str] = {}
        for index, part in enumerate(wanted):
            if part.endswith("+}"):
                if index >= len(given):
                    return None
                params[part[1:-2]] = "/".join(given[index:])
                return params
            if index >= len(given):
                return None
            if part.startswith("{"):
                params[part[1:-1]] = given[index]
            elif part != given[index]:
                return None
        return params if len(given) == len(wanted) else None

    def specificity(self) -> tuple[int, int]:
        parts = [p for p in self.path.split("/") if p]
        literal = sum(1 for p in parts if not p.startswith("{"))
        greedy = any(p.endswith("+}") for p in parts)
        return (0 if greedy else 1, literal)


class FunctionTimedOut(Exception):
    """An invocation outlived its function's Timeout; Step Functions sees Lambda's error name."""

    error_type = "Sandbox.Timedout"


class _Frozen(BaseException):
    """Raised at the first AWS call after the deadline, where Lambda would already have stopped
    the function. A BaseException, so that the handler's own `except Exception` cannot swallow it."""


# Asynchronous invocations started in this context that the caller will wait for (see waiting_for_async).
_awaited: ContextVar[list[threading.Thread] | None] = ContextVar("vigil_local_awaited", default=None)
# True in a schedule's timer thread: its calls are not a request's (see LocalStack._tick).
_uncounted: ContextVar[bool] = ContextVar("vigil_local_uncounted", default=False)


class _BusyClock:
    """Wall time during which at least one background invocation (a ladder step, a delivery,
    an asynchronous event) was running in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._since = 0.0
        self._total = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._since = time.monotonic()
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    self._total += time.monotonic() - self._since

    def total(self) -> float:
        with self._lock:
            return self._total + (time.monotonic() - self._since if self._running else 0.0)


# On AWS each of those runs in its own Lambda environment; here they share the interpreter with
# the HTTP request being answered, so their time does not count against its Timeout.
_background = _BusyClock()
# True while this thread runs background work (a ladder step, a delivery, a storm part, an event).
_in_background: ContextVar[bool] = ContextVar("vigil_local_in_background", default=False)

# How long background work waits for the HTTP requests being answered: before it starts an
# execution or an invocation, and for its turn at moto before each AWS call. Real senders pause
# for more than REQUESTS_PAUSED_SECONDS many times a second; only a sender that never pauses
# keeps work waiting that long. Bounded, so that even then the ladder, the deliveries and a
# storm's parts are slowed down but never stopped: work already under way goes on within a
# quarter of a second, and new work within half a minute.
# A Lambda execution environment runs one event at a time; here each function has one, shared
# by every thread. The API function's Powertools resolver keeps the request's route and key on
# its module-level app (cleared as each request ends), so two requests at once there would mix
# them: it takes its requests one at a time, as one environment would. The other handlers keep
# nothing per request and run concurrently, so that concurrent senders race here as on AWS.
ONE_EVENT_AT_A_TIME = frozenset({"ApiFunction"})
STOP_SECONDS = 5  # how long stopping waits for the pollers and timers, all together
PATIENCE_BEFORE_INVOCATION_SECONDS = 30.0
PATIENCE_BEFORE_CALL_SECONDS = 0.25
# Background work goes on once no request has been answered for this long: a sender's next
# request comes a millisecond or two after the last answer, and work started in that gap would
# share the interpreter with it.
REQUESTS_PAUSED_SECONDS = 0.01


def in_background() -> bool:
    """True in a thread running background work, False in one answering an HTTP request."""
    return _in_background.get()


class _MotoTurns:
    """moto serves one AWS call at a time, so that concurrent conditional writes behave as
    DynamoDB's do (one at a time per item). On AWS the ladder's steps, the deliveries and a
    storm's parts run in other functions on other machines; here they share two cores, one
    interpreter and this one moto with the HTTP answers. So the calls of an HTTP answer go first:
    background work goes on when the requests have paused, or once its patience is over.

    A burst leaves hundreds of background threads waiting: each wait is woken once, when the
    requests pause (a watcher notices) or when its turn comes (one waiter per finished call),
    never all of them at every change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turn_for_a_request = threading.Condition(self._lock)
        self._turn_for_background = threading.Condition(self._lock)
        self._requests_paused = threading.Condition(self._lock)
        self._requests_changed = threading.Condition(self._lock)  # only the watcher waits on it
        self._owner: int | None = None
        self._depth = 0
        self._answering = 0
        self._last_answered = 0.0
        self._requests_waiting = 0  # calls of HTTP answers waiting for their turn
        self._closed = False
        threading.Thread(target=self._watch_for_pauses, name="moto-turns", daemon=True).start()

    def close(self) -> None:
        """The runtime stops: nothing waits for requests any more."""
        with self._lock:
            self._closed = True
            self._requests_changed.notify()
            self._requests_paused.notify_all()

    @contextmanager
    def answering(self) -> Iterator[None]:
        with self._lock:
            self._answering += 1
            self._requests_changed.notify()
        try:
            yield
        finally:
            with self._lock:
                self._answering -= 1
                self._last_answered = time.monotonic()
                self._requests_changed.notify()

    def wait_for_the_requests(self, most_seconds: float) -> None:
        with self._lock:
            self._wait_for_a_pause(time.monotonic() + most_seconds)

    @contextmanager
    def turn(self, *, background: bool) -> Iterator[None]:
        me = threading.get_ident()
        with self._lock:
            if self._owner == me:  # a call made while serving a call (moto calling itself)
                self._depth += 1
            elif background:
                self._wait_for_a_pause(time.monotonic() + PATIENCE_BEFORE_CALL_SECONDS)
                while self._owner is not None or self._requests_waiting:
                    self._turn_for_background.wait()
                self._owner, self._depth = me, 1
            else:
                self._requests_waiting += 1
                while self._owner is not None:
                    self._turn_for_a_request.wait()
                self._requests_waiting -= 1
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._next_in_turn().notify()

    def _next_in_turn(self) -> threading.Condition:
        return self._turn_for_a_request if self._requests_waiting else self._turn_for_background

    def _paused(self) -> bool:
        if self._closed:
            return True
        return self._answering == 0 and time.monotonic() - self._last_answered >= REQUESTS_PAUSED_SECONDS

    def _wait_for_a_pause(self, patient_until: float) -> None:
        while not self._paused() and (patience := patient_until - time.monotonic()) > 0:
            self._requests_paused.wait(timeout=patience)

    def _watch_for_pauses(self) -> None:
        """Wake the background work waiting for a pause, once each time the requests pause."""
        with self._lock:
            while not self._closed:
                if self._answering:
                    self._requests_changed.wait()
                elif (left := REQUESTS_PAUSED_SECONDS - (time.monotonic() - self._last_answered)) > 0:
                    self._requests_changed.wait(timeout=left)
                else:
                    self._requests_paused.notify_all()
                    self._requests_changed.wait()  # until the next request begins


class LambdaContext:
    """What a handler sees as `context`, as `sam local invoke` provides it, with a real deadline."""

    def __init__(self, function_name: str, timeout_seconds: float = 15, memory_mb: int = 128) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.deadline = time.monotonic() + timeout_seconds
        self._background_at_start: float | None = None

    def not_counting_background_work(self) -> None:
        self._background_at_start = _background.total()

    def get_remaining_time_in_millis(self) -> int:
        shared = 0.0 if self._background_at_start is None else _background.total() - self._background_at_start
        return max(0, int((self.deadline + shared - time.monotonic()) * 1000))


# The context of the invocation running here: its deadline stops the handler.
_invocation: ContextVar[LambdaContext | None] = ContextVar("vigil_local_invocation", default=None)
# The AWS calls of the invocation running here (not of the work it starts elsewhere: ladders, deliveries).
_invocation_calls: ContextVar[Counter[str] | None] = ContextVar("vigil_local_invocation_calls", default=None)


def _not_counting_the_wait(since: float) -> None:
    """Waiting for the lock that serialises moto is a local artefact (each Lambda has AWS to
    itself): it does not count against the running function's Timeout."""
    context = _invocation.get()
    if context is not None:
        context.deadline += time.monotonic() - since


@dataclass(eq=False)
class LocalStack:
    template_path: Path = TEMPLATE
    calls: Counter[str] = field(default_factory=Counter)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    functions: dict[str, str] = field(default_factory=dict)  # physical name -> logical id
    https: dict[str, str | None] = field(default_factory=dict)  # the HTTPS port's url and certificate
    timeouts: dict[str, float] = field(default_factory=dict)  # logical id -> Timeout (seconds)
    schedules: dict[str, float] = field(default_factory=dict)  # logical id -> seconds between runs
    last_calls: dict[str, Counter[str]] = field(default_factory=dict)  # logical id -> its last calls
    _handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _environments: dict[str, threading.Lock] = field(
        default_factory=lambda: {logical: threading.Lock() for logical in ONE_EVENT_AT_A_TIME}
    )
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.template = load_template(self.template_path)
        self.resolver = Resolver(self.template)
        self._mock: Any = None
        self.moto_turns = _MotoTurns()
        self.iam = iam.Enforcer({}, self._task_token_owner, enabled=os.environ.get(IAM_SETTING, "1") != "0")

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> LocalStack:
        _fake_credentials()
        from moto import mock_aws

        self._mock = mock_aws(config=cast(Any, MOTO_CONFIG))
        self._mock.start()
        self._name_resources()
        self._apply_environment()
        _install_patches(self)
        self._start_vigil_cold()
        self._create_resources()
        self.iam.roles = iam.function_roles(iam.translate(self.template), self.resolver)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._stop_the_ladders()
        self.moto_turns.close()
        deadline = time.monotonic() + STOP_SECONDS  # its pollers may be in a batch: they are daemons
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        _active_stacks.discard(self)
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def quiet_for(self, quiet: float, timeout: float) -> bool:
        """Whether this runtime made no AWS call for `quiet` seconds within `timeout`."""
        return wait_until_quiet(lambda: sum(self.calls.values()), quiet, timeout)

    def _stop_the_ladders(self) -> None:
        """Executions still running are stopped with the runtime: the next runtime in this
        process (the next test, the next bench section) has a moto of its own, and a ladder left
        running would page from it for an incident it does not have."""
        if self._mock is None:
            return
        from botocore.exceptions import ClientError

        sfn = self.clients["stepfunctions"]
        for machine in sfn.list_state_machines()["stateMachines"]:
            for execution in _running_executions(sfn, machine["stateMachineArn"]):
                with contextlib.suppress(ClientError):  # it ended meanwhile
                    sfn.stop_execution(executionArn=execution, cause="the runtime stopped")

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- naming
    def _name_resources(self) -> None:
        resolver, physical = self.resolver, self.resolver.physical
        arn = f"{REGION}:{ACCOUNT}"
        stage = resolver.parameters()["Stage"]
        for name, resource in self.template["Resources"].items():
            props = resource.get("Properties", {})
            kind = resource["Type"]
            if kind == "AWS::DynamoDB::Table":
                table = resolver.resolve(props.get("TableName", name))
                physical[name] = {"Ref": table, "Arn": f"arn:aws:dynamodb:{arn}:table/{table}"}
            elif kind == "AWS::SNS::Topic":
                topic = resolver.resolve(props.get("TopicName", name))
                physical[name] = {"Ref": f"arn:aws:sns:{arn}:{topic}", "TopicName": topic}
            elif kind == "AWS::SQS::Queue":
                queue = resolver.resolve(props.get("QueueName", name))
                physical[name] = {
                    "Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{queue}",
                    "Arn": f"arn:aws:sqs:{arn}:{queue}",
                    "QueueName": queue,
                }
            elif kind == "AWS::Serverless::Function":
                function = resolver.resolve(props.get("FunctionName", name))
                physical[name] = {"Ref": function, "Arn": f"arn:aws:lambda:{arn}:function:{function}"}
                self.functions[function] = name
                self.timeouts[name] = float(self._function_setting(name, "Timeout", 3))
            elif kind == "AWS::SecretsManager::Secret":
                secret = resolver.resolve(props.get("Name", name))
                physical[name] = {"Ref": f"arn:aws:secretsmanager:{arn}:secret:{secret}", "Name": secret}
            elif kind == "AWS::Events::EventBus":
                bus = resolver.resolve(props.get("Name", name))
                physical[name] = {"Ref": bus, "Name": bus, "Arn": f"arn:aws:events:{arn}:event-bus/{bus}"}
            elif kind == "AWS::Serverless::StateMachine":
                machine = resolver.resolve(props.get("Name", name))
                physical[name] = {"Ref": f"arn:aws:states:{arn}:stateMachine:{machine}", "Name": machine}
            else:
                generic = f"{name.lower()}-{stage}"
                physical[name] = {"Ref": generic, "Arn": f"arn:aws:local:{arn}:{generic}"}

    # ----------------------------------------------------------------- creation
    def _create_resources(self) -> None:
        import boto3

        new_client: Any = boto3.client
        self.clients = {s: new_client(s, region_name=REGION) for s in _SERVICES}
        for name in self.resolver.resources("AWS::Events::EventBus"):
            self.clients["events"].create_event_bus(Name=self.resolver.physical[name]["Name"])
        for props in self.resolver.resources("AWS::DynamoDB::Table").values():
            self._create_table(self.resolver.resolve(props))
        for name in self.resolver.resources("AWS::SNS::Topic"):
            self.clients["sns"].create_topic(Name=self.resolver.physical[name]["TopicName"])
        self._create_queues()
        for props in self.resolver.resources("AWS::SNS::Subscription").values():
            self._subscribe(self.resolver.resolve(props))
        self._create_functions()
        for name, props in self.resolver.resources("AWS::Serverless::StateMachine").items():
            self._create_state_machine(name, props)
        for name, props in self.resolver.resources("AWS::SecretsManager::Secret").items():
            self._create_secret(name, self.resolver.resolve(props))
        self._verify_sender()

    def _create_table(self, props: dict[str, Any]) -> None:
        dynamodb = self.clients["dynamodb"]
        wanted = ("TableName", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
        dynamodb.create_table(**{k: props[k] for k in wanted if k in props})
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=ttl)

    def _create_queues(self) -> None:
        queues = self.resolver.resources("AWS::SQS::Queue")
        # Dead-letter queues first: the others point at them.
        for name in sorted(queues, key=lambda n: "RedrivePolicy" in queues[n]):
            props = self.resolver.resolve(queues[name])
            attributes = {}
            if "RedrivePolicy" in props:
                attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
            for prop in ("VisibilityTimeout", "MessageRetentionPeriod"):
                if prop in props:
                    attributes[prop] = str(props[prop])
            self.clients["sqs"].create_queue(QueueName=props["QueueName"], Attributes=attributes)

    def _subscribe(self, props: dict[str, Any]) -> None:
        attributes = {}
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        if props.get("RawMessageDelivery"):
            attributes["RawMessageDelivery"] = "true"
        self.clients["sns"].subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
            Attributes=attributes,
        )

    def _create_functions(self) -> None:
        role = self.clients["iam"].create_role(RoleName="vigil-local", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
        code = _empty_zip()
        for logical, props in self.resolver.resources("AWS::Serverless::Function").items():
            physical = self.resolver.physical[logical]
            self.clients["lambda"].create_function(
                FunctionName=physical["Ref"],
                Runtime="python3.13",
                Role=role,
                Handler=props.get("Handler", "app.lambda_handler"),
                Code={"ZipFile": code},
            )
            for event in props.get("Events", {}).values():
                self._wire_event(logical, event["Type"], self.resolver.resolve(event["Properties"]))

    def _wire_event(self, logical: str, kind: str, props: dict[str, Any]) -> None:
        function_arn = self.resolver.physical[logical]["Arn"]
        if kind == "Api":
            self.routes.append(Route(props["Path"], props["Method"].upper(), logical))
        elif kind == "SNS":
            self.clients["sns"].subscribe(TopicArn=props["Topic"], Protocol="lambda", Endpoint=function_arn)
        elif kind == "EventBridgeRule":
            rule = f"{logical}-{len(self.routes)}-rule"
            self.clients["events"].put_rule(Name=rule, EventPattern=json.dumps(props["Pattern"]))
            self.clients["events"].put_targets(Rule=rule, Targets=[{"Id": logical, "Arn": function_arn}])
        elif kind == "Schedule":
            self.schedules[logical] = _rate_seconds(props["Schedule"])
            self._start_timer(logical, self.schedules[logical])
        elif kind == "SQS":
            # Created disabled: moto would invoke once per message with no retry; the pollers
            # below read these mappings and behave like Lambda's SQS poller instead.
            mapping = self.clients["lambda"].create_event_source_mapping(
                EventSourceArn=props["Queue"],
                FunctionName=function_arn,
                BatchSize=props.get("BatchSize", 10),
                Enabled=False,
                FunctionResponseTypes=props.get("FunctionResponseTypes", []),
            )
            self._start_poller(mapping)

    def _create_state_machine(self, logical: str, props: dict[str, Any]) -> None:
        definition = (ROOT / props["DefinitionUri"]).read_text()
        for key, value in self.resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
            definition = definition.replace("${" + key + "}", value)
        role = f"arn:aws:iam::{ACCOUNT}:role/vigil-local"
        self.clients["stepfunctions"].create_state_machine(
            name=self.resolver.physical[logical]["Name"],
            definition=definition,
            roleArn=role,
            type=props.get("Type", "STANDARD"),
        )

    def _create_secret(self, logical: str, props: dict[str, Any]) -> None:
        generate = props.get("GenerateSecretString", {})
        value = json.loads(generate.get("SecretStringTemplate", "{}"))
        value[generate.get("GenerateStringKey", "value")] = secrets.token_urlsafe(36)
        arn = self.clients["secretsmanager"].create_secret(
            Name=props["Name"], SecretString=json.dumps(value)
        )["ARN"]
        # moto appends a random suffix to secret ARNs, as AWS does: Ref must return the real one.
        self.resolver.physical[logical]["Ref"] = arn
        self._apply_environment()

    def _apply_environment(self) -> None:
        """The functions' environment from template.yaml, plus what differs locally."""
        os.environ.update(self.resolver.function_environment())
        os.environ.update(LOCAL_ENVIRONMENT)
        if os.environ.get("VIGIL_LOCAL_PUBLIC_URL"):
            os.environ["VIGIL_PUBLIC_URL"] = os.environ["VIGIL_LOCAL_PUBLIC_URL"]

    def _verify_sender(self) -> None:
        sender = self.resolver.parameters().get("SenderEmail")
        if sender:
            self.clients["ses"].verify_email_identity(EmailAddress=sender)

    def _start_vigil_cold(self) -> None:
        """A stack started after another (bench, a second runtime) is another deployment: its
        functions start cold, with new clients and nothing remembered (the earlier stack's warm
        caches held its API keys and its configuration), and its hooks replace the earlier's."""
        from vigil.adapters import aws
        from vigil.services import warm

        aws.reset_clients()
        warm.forget_everything()
        aws.client_hooks[:] = [
            hook
            for hook in aws.client_hooks
            if not isinstance(getattr(hook, "__self__", None), LocalStack | iam.Enforcer)
        ]
        aws.client_hooks.extend([self._count_call, self.iam.watch, self._watch_deadline])

    # ----------------------------------------------------------------- dispatch
    def handler(self, logical: str) -> Callable[..., Any]:
        if logical not in self._handlers:
            code_uri = self.template["Resources"][logical]["Properties"]["CodeUri"]
            module_name, _, function = (
                self.template["Resources"][logical]["Properties"].get("Handler", "app.lambda_handler")
            ).rpartition(".")
            module = importlib.import_module(f"{code_uri.strip('/').replace('/', '.')}.{module_name}")
            self._handlers[logical] = getattr(module, function)
        return self._handlers[logical]

    def invoke(self, logical: str, event: Any, *, answering_http: bool = False) -> Any:
        """Run a function's real handler in-process, as Lambda would, within its Timeout: the
        first AWS call after the deadline stops it, and a late result is a timeout error."""
        with self._environment(logical):
            if answering_http:
                with self.moto_turns.answering():
                    return self._invoke(logical, event, answering_http=True)
            marked = _in_background.set(True)
            try:
                self.moto_turns.wait_for_the_requests(PATIENCE_BEFORE_INVOCATION_SECONDS)
                with _background.running():
                    return self._invoke(logical, event, answering_http=False)
            finally:
                _in_background.reset(marked)

    def _environment(self, logical: str) -> contextlib.AbstractContextManager[Any]:
        """Held while `logical` runs an event, for the functions of ONE_EVENT_AT_A_TIME."""
        lock = self._environments.get(logical)
        return lock if lock is not None else contextlib.nullcontext()

    def _invoke(self, logical: str, event: Any, *, answering_http: bool) -> Any:
        timeout = self.timeouts[logical]
        context = LambdaContext(self.resolver.physical[logical]["Ref"], timeout, self._memory(logical))
        if answering_http:
            context.not_counting_background_work()
        running = iam.running_function.set(logical)
        invocation = _invocation.set(context)
        calls = _invocation_calls.set(Counter())
        try:
            result = self.handler(logical)(event, context)
        except _Frozen:
            result = None
        finally:
            self.last_calls[logical] = _invocation_calls.get() or Counter()
            _invocation_calls.reset(calls)
            _invocation.reset(invocation)
            iam.running_function.reset(running)
        if context.get_remaining_time_in_millis() == 0:
            raise FunctionTimedOut(f"Task timed out after {timeout:.2f} seconds")
        return result

    def _function_setting(self, logical: str, name: str, default: Any) -> Any:
        props = self.template["Resources"][logical].get("Properties", {})
        return props.get(name, self.template.get("Globals", {}).get("Function", {}).get(name, default))

    def _memory(self, logical: str) -> int:
        return int(self._function_setting(logical, "MemorySize", 128))

    def _watch_deadline(self, client: Any) -> None:
        def stop_if_late(**_: Any) -> None:
            context = _invocation.get()
            if context is not None and context.get_remaining_time_in_millis() == 0:
                raise _Frozen

        client.meta.events.register_first("before-parameter-build", stop_if_late)

    def check_state_machine_may_invoke(self, function_name_or_arn: str) -> None:
        """Only the state machine invokes through moto's Lambda API here: its role must allow it,
        or Step Functions sees the AccessDeniedException that Lambda answers."""
        from botocore.exceptions import ClientError

        (machine,) = self.resolver.resources("AWS::Serverless::StateMachine")
        params = {"FunctionName": function_name_or_arn}
        if self.iam.enabled and self.iam.check(machine, "lambda", "Invoke", params) is not None:
            error = {"Error": {"Code": "AccessDeniedException", "Message": f"{machine} may not invoke it"}}
            raise ClientError(cast(Any, error), "Invoke")

    def _task_token_owner(self, token: str) -> str:
        """Task tokens are opaque: this stack has one state machine, which owns them all."""
        (machine,) = self.resolver.resources("AWS::Serverless::StateMachine")
        return self.resolver.physical[machine]["Ref"]

    def logical_for(self, function_name_or_arn: str) -> str:
        name = function_name_or_arn.split(":function:")[-1].split(":")[0]
        return self.functions.get(name, name)

    def invoke_serialized(self, function_name_or_arn: str, body: bytes | str | None) -> tuple[bytes, bool]:
        """Invoke with a JSON body and return (JSON result, failed) like the Lambda Invoke API."""
        event = json.loads(body or b"{}")
        try:
            result = self.invoke(self.logical_for(function_name_or_arn), event)
        except Exception as error:  # becomes FunctionError, as Lambda reports it
            error_type = getattr(error, "error_type", type(error).__name__)
            payload = {"errorType": error_type, "errorMessage": str(error)}
            return json.dumps(payload).encode(), True
        return json.dumps(result, default=str).encode(), False

    def deliver_sns(
        self,
        topic_arn: str,
        function_arn: str,
        message: str,
        subject: str | None,
        message_id: str,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        record = {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
            "Sns": {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": topic_arn,
                "Subject": subject,
                "Message": message,
                "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "SignatureVersion": "1",
                "Signature": "LOCAL",
                "SigningCertUrl": "LOCAL",
                "UnsubscribeUrl": "LOCAL",
                "MessageAttributes": attributes or {},
            },
        }
        self.invoke_async(self.logical_for(function_arn), {"Records": [record]})

    def put_events(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Deliver events to the Lambda targets of matching rules (moto cannot, see DESIGN 4)."""
        from moto.events.models import events_backends

        backend = events_backends[ACCOUNT][REGION]
        results = []
        for entry in entries:
            event = _as_event(entry)
            targets = []
            for rule in list(backend.event_buses["default"].rules.values()):
                if rule.event_pattern and rule.event_pattern.matches_event(cast(Any, event)):
                    for target in rule.targets:
                        self.invoke_async(self.logical_for(target["Arn"]), event)
                        targets.append(target["Id"])
            results.append({"EventId": event["id"], "Targets": targets})
        return results

    # ----------------------------------------------------------------- asynchronous invocations
    def invoke_async(self, logical: str, event: Any) -> None:
        """Lambda's asynchronous invocation (SNS, EventBridge): the caller does not wait; a failed
        invocation is retried (EventInvokeConfig MaximumRetryAttempts, 2 by default), then the
        event goes to the OnFailure destination, or is dropped as Lambda drops it."""
        thread = threading.Thread(
            target=self._run_async, args=(logical, event), daemon=True, name=f"async-{logical}"
        )
        awaited = _awaited.get()
        if awaited is not None:
            awaited.append(thread)
        thread.start()

    @contextmanager
    def waiting_for_async(self, timeout: float = 120) -> Iterator[None]:
        """The local trigger endpoints answer once the invocations they caused are over (retries
        and destination included), so that a script or test can read their outcome."""
        threads: list[threading.Thread] = []
        token = _awaited.set(threads)
        try:
            yield
        finally:
            _awaited.reset(token)
            for thread in threads:
                thread.join(timeout)

    def _run_async(self, logical: str, event: Any) -> None:
        config = self.resolver.resolve(self._function_setting(logical, "EventInvokeConfig", {}))
        attempts = 1 + int(config.get("MaximumRetryAttempts", 2))
        for attempt in range(1, attempts + 1):
            result, failed = self.invoke_serialized(logical, json.dumps(event))
            if not failed:
                return
            if attempt < attempts:
                self._stop.wait(LOCAL_RETRY_SECONDS)  # Lambda waits 1 then 2 minutes
        destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is None:
            _log.error("asynchronous invocation of %s failed %d times and is lost", logical, attempts)
            return
        self._send_to_destination(
            logical, destination, _failure_record(self, logical, event, result, attempts)
        )

    def _send_to_destination(self, logical: str, destination: str, record: dict[str, Any]) -> None:
        """Lambda sends with the function's role, so a role that may not send loses the event."""
        service = destination.split(":")[2]
        if service == "sqs":
            operation, params = (
                "SendMessage",
                {"QueueUrl": _queue_url(destination), "MessageBody": json.dumps(record)},
            )
        else:
            operation, params = "Publish", {"TopicArn": destination, "Message": json.dumps(record)}
        if self.iam.enabled and self.iam.check(logical, service, operation, params) is not None:
            return
        method = "send_message" if operation == "SendMessage" else "publish"
        getattr(self.clients[service], method)(**params)

    # ----------------------------------------------------------------- schedules
    def _start_timer(self, logical: str, seconds: float) -> None:
        thread = threading.Thread(
            target=self._tick, args=(logical, seconds), daemon=True, name=f"timer-{logical}"
        )
        self._threads.append(thread)
        thread.start()

    def _tick(self, logical: str, seconds: float) -> None:
        """EventBridge's schedule: an asynchronous invocation every `seconds`. Its own calls are
        not counted in /_local/aws-calls, which tells what a request cost, whenever the timer fires."""
        _uncounted.set(True)
        while not self._stop.wait(seconds):
            self._run_async(logical, scheduled_event(logical))

    def run_schedule(self, logical: str, time: str | None = None, *, answering_http: bool = False) -> Any:
        """Run a scheduled function now (as its schedule would at `time`) and answer its result;
        `answering_http`: somebody waits for it, so it goes before background work."""
        return self.invoke(logical, scheduled_event(logical, time), answering_http=answering_http)

    # ----------------------------------------------------------------- SQS pollers
    def _start_poller(self, mapping: dict[str, Any]) -> None:
        thread = threading.Thread(
            target=self._poll,
            args=(mapping,),
            daemon=True,
            name=f"poller-{mapping['EventSourceArn'].rsplit(':', 1)[-1]}",
        )
        self._threads.append(thread)
        thread.start()

    def _poll(self, mapping: dict[str, Any]) -> None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[ACCOUNT][REGION]
        queue_name = mapping["EventSourceArn"].rsplit(":", 1)[-1]
        while not self._stop.is_set():
            messages = backend.receive_message(queue_name, mapping["BatchSize"], 1, LOCAL_RETRY_SECONDS)
            if messages:
                self._process_batch(backend, queue_name, mapping, messages)

    def _process_batch(
        self, backend: Any, queue_name: str, mapping: dict[str, Any], messages: list[Any]
    ) -> None:
        event = {"Records": [_sqs_record(m, mapping["EventSourceArn"]) for m in messages]}
        try:
            result = self.invoke(self.logical_for(mapping["FunctionArn"]), event)
            failed = failed_items(result, mapping, {m.id for m in messages})
        except Exception:  # the whole batch failed (an error or a timeout): every message is retried
            failed = {m.id for m in messages}
        from moto.sqs.exceptions import ReceiptHandleIsInvalid

        for message in messages:
            if message.id in failed:
                continue
            with contextlib.suppress(ReceiptHandleIsInvalid):  # purged meanwhile: nothing to delete
                backend.delete_message(queue_name, message.receipt_handle)

    # ----------------------------------------------------------------- observation
    def _count_call(self, client: Any) -> None:
        service = client.meta.service_model.service_name

        def count(model: Any, **_: Any) -> None:
            if _uncounted.get():
                return
            self.calls[f"{service}:{model.name}"] += 1
            invocation = _invocation_calls.get()
            if invocation is not None:
                invocation[f"{service}:{model.name}"] += 1

        def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["vigil_params"] = dict(params)

        def record(model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            params = context.get("vigil_params", {})
            entry = _outbox_entry(service, model.name, params, parsed)
            if entry:
                self.outbox.append(entry)

        client.meta.events.register("before-call", count)
        client.meta.events.register("before-parameter-build", remember)
        client.meta.events.register("after-call", record)

    def record_http_delivery(self, entry: dict[str, Any]) -> None:
        self.outbox.append(entry)


def _outbox_entry(
    service: str, operation: str, params: dict[str, Any], parsed: dict[str, Any]
) -> dict[str, Any] | None:
    error = parsed.get("Error", {}).get("Code")
    result = f"error: {error}" if error else "sent"
    if service == "ses" and operation in ("SendEmail", "SendRawEmail"):
        destination = params.get("Destination", {}).get("ToAddresses", [])
        message = params.get("Message", {})
        body = {k: v.get("Data") for k, v in message.get("Body", {}).items()}
        return {
            "channel": "email",
            "target": ",".join(destination),
            "subject": message.get("Subject", {}).get("Data"),
            "body": body,
            "result": result,
            "at": _now(),
        }
    if service == "sns" and operation == "Publish" and params.get("PhoneNumber"):
        return {
            "channel": "sms",
            "target": params["PhoneNumber"],
            "body": params.get("Message"),
            "result": result,
            "at": _now(),
        }
    return None


def failed_items(result: Any, mapping: dict[str, Any], batch: set[str]) -> set[str]:
    """As Lambda reads an SQS batch response: batchItemFailures only with ReportBatchItemFailures,
    and a response naming a message that is not in the batch fails the whole batch."""
    if "ReportBatchItemFailures" not in mapping.get("FunctionResponseTypes", []):
        return set()
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    named = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures or []]
    valid = {name for name in named if isinstance(name, str) and name in batch}
    return valid if len(valid) == len(set(named)) else batch


def _failure_record(
    stack: LocalStack, logical: str, event: Any, result: bytes, attempts: int
) -> dict[str, Any]:
    """The record Lambda sends to an OnFailure destination."""
    return {
        "version": "1.0",
        "timestamp": _now(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{stack.resolver.physical[logical]['Arn']}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": json.loads(result),
    }


def _queue_url(arn: str) -> str:
    _, _, _, region, account, name = arn.split(":")
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sqs_record(message: Any, queue_arn: str) -> dict[str, Any]:
    attributes = {
        name: {"stringValue": attr.get("string_value"), "dataType": attr.get("data_type", "String")}
        for name, attr in (message.message_attributes or {}).items()
    }
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {  # as Lambda's SQS events carry them (Powertools' SqsRecordModel needs each)
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": str(message.sent_timestamp),
            "SenderId": message.sender_id,
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
        },
        "messageAttributes": attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _as_event(entry: dict[str, Any]) -> dict[str, Any]:
    """A PutEvents entry (Source, DetailType, Detail) or an already-formed event."""
    if "detail-type" in entry:
        return {"id": str(uuid.uuid4()), "account": ACCOUNT, "region": REGION, **entry}
    detail = entry.get("Detail", "{}")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry.get("DetailType", ""),
        "source": entry.get("Source", ""),
        "account": ACCOUNT,
        "time": _now(),
        "region": REGION,
        "resources": entry.get("Resources", []),
        "detail": json.loads(detail) if isinstance(detail, str) else detail,
    }


def _rate_seconds(expression: str) -> float:
    """rate(N unit) in seconds; the local runtime runs no cron() schedules."""
    count, unit = expression.removeprefix("rate(").removesuffix(")").split()
    return int(count) * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]


def scheduled_event(logical: str, time: str | None = None) -> dict[str, Any]:
    return _as_event(
        {
            "version": "0",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "time": time or _now(),
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical}"],
            "detail": {},
        }
    )


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the local runtime dispatches to functions/<name>/app.py\n")
    return buffer.getvalue()


def _fake_credentials() -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        os.environ[name] = value


_SERVICES = ("dynamodb", "sns", "sqs", "lambda", "iam", "events", "stepfunctions", "ses", "secretsmanager")


def _running_executions(sfn: Any, machine: str, attempts: int = 5) -> list[str]:
    """Every running execution of `machine`, listed in full before any is stopped. moto's page
    token names the first execution of the next page: once that one ends (ladders end
    meanwhile), moto refuses the token as invalid, and the listing starts again."""
    from botocore.exceptions import ClientError

    paginator = sfn.get_paginator("list_executions")
    for _ in range(attempts - 1):
        try:
            return _executions_listed(paginator, machine)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidToken":
                raise
    return _executions_listed(paginator, machine)


def _executions_listed(paginator: Any, machine: str) -> list[str]:
    pages = paginator.paginate(stateMachineArn=machine, statusFilter="RUNNING")
    return [execution["executionArn"] for page in pages for execution in page["executions"]]


def wait_until_quiet(total_calls: Callable[[], int], quiet: float, timeout: float) -> bool:
    """Whether the runtime made no AWS call for `quiet` seconds within `timeout`: its background
    work (ladders, deliveries), which runs after the HTTP answers, is then done with."""
    deadline = time.monotonic() + timeout
    last, quiet_since = total_calls(), time.monotonic()
    while time.monotonic() - quiet_since < quiet:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
        if (now := total_calls()) != last:
            last, quiet_since = now, time.monotonic()
    return True


# ---------------------------------------------------------------------- moto patches
_active_stacks: set[LocalStack] = set()
_patched = False


def _current() -> LocalStack:
    return next(iter(_active_stacks))


def _install_patches(stack: LocalStack) -> None:
    """Route moto's Lambda invocations to the real handlers, serialise moto's request handling
    (DynamoDB applies one conditional write at a time per item; moto alone does not)."""
    global _patched
    _active_stacks.clear()
    _active_stacks.add(stack)
    if _patched:
        return
    _patched = True
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.sns.models import Subscription

    def invoke(
        self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        _current().check_state_machine_may_invoke(function_name)
        payload, failed = _current().invoke_serialized(function_name, body)
        if failed:
            response_headers["x-amz-function-error"] = "Unhandled"
        return payload

    original_publish = Subscription.publish

    def publish(self: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        if self.protocol == "lambda":
            subject = kwargs.get("subject", args[0] if args else None)
            _current().deliver_sns(self.topic.arn, self.endpoint, message, subject, message_id)
            return
        original_publish(self, message, message_id, *args, **kwargs)

    original_call = BotocoreStubber.__call__

    def locked_call(self: Any, event_name: str, *args: Any, **kwargs: Any) -> Any:
        if event_name.endswith(".lambda.Invoke"):
            # A whole Lambda invocation (a ladder step): its own AWS calls take their turns one
            # by one, so that the step never holds up an HTTP answer in the meantime.
            return original_call(self, event_name, *args, **kwargs)
        waiting_since = time.monotonic()
        with _current().moto_turns.turn(background=_in_background.get()):
            _not_counting_the_wait(waiting_since)
            return original_call(self, event_name, *args, **kwargs)

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
    Subscription.publish = publish  # type: ignore[method-assign]
    BotocoreStubber.__call__ = locked_call  # type: ignore[method-assign]
    _let_executions_give_way_to_answers()
    keep_log_keys_per_thread()
    moto_speed.install()


# True in a thread of moto's that runs a state machine execution (see below).
_in_execution: ContextVar[bool] = ContextVar("vigil_local_in_execution", default=False)


def _let_executions_give_way_to_answers() -> None:
    """moto runs each execution in a thread of its own, started inside StartExecution, that
    evaluates the states in pure Python: the HTTP answer that started it then shared the
    interpreter with the ladder's first states. On AWS the execution runs elsewhere; here its
    thread waits for the requests being answered before it begins and before each state (for a
    bounded time, as background invocations do). Its environment is made before the thread
    starts, not when it begins: a StopExecution that comes first (an incident deleted, the
    runtime stopping) then stops it, where moto had no environment to stop yet. A StopExecution
    also ends a task waiting for its token (a rung waiting for an acknowledgement) at once, as
    on AWS: moto let it wait out its timeout and then go on to the next state."""
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original_start = ExecutionWorker.start  # a synchronous worker has its own, in the caller's thread
    original_state = CommonStateField._eval_body

    def start(self: Any) -> None:
        logic, environment = self._execution_logic, self._get_evaluation_environment()
        self.env, self._get_evaluation_environment = environment, lambda: environment

        def giving_way() -> None:
            _in_execution.set(True)
            _current().moto_turns.wait_for_the_requests(PATIENCE_BEFORE_INVOCATION_SECONDS)
            if isinstance(environment.program_state(), ProgramStopped):  # stopped before it began
                self._execution_communication.terminated()  # ABORTED, no state run
                return
            logic()

        self._execution_logic = giving_way  # what the thread runs
        original_start(self)

    def eval_state(self: Any, env: Any) -> None:
        if _in_execution.get():
            _current().moto_turns.wait_for_the_requests(PATIENCE_BEFORE_CALL_SECONDS)
        original_state(self, env)

    original_stop = ExecutionWorker.stop

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        if self.env is not None and self.env.program_state() is None:  # not begun: moto ignores it
            self.env._program_state = ProgramStopped(stop_date=stop_date, cause=cause, error=error)
            return
        original_stop(self, stop_date=stop_date, error=error, cause=cause)
        for task in list(self.env.callback_pool_manager._pool.values()):
            task.interrupt_all()

    ExecutionWorker.start = start  # type: ignore[method-assign]
    ExecutionWorker.stop = stop  # type: ignore[method-assign]
    CommonStateField._eval_body = eval_state  # type: ignore[method-assign]
