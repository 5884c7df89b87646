"""Latency and throughput on the local runtime, over real HTTP, with the floors beside them:
the AWS calls each answer made, replayed straight against the same moto, and the fewest and
simplest writes the same path could make."""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

from vigil.adapters import aws

from bench.sink import Sink
from local.runtime import Runtime, start_runtime
from local.stack import in_background

Call = tuple[str, str, dict[str, Any]]  # service, operation, parameters


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "n": 0}
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "n": len(ordered),
    }


def post(url: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read()))


def webhook_integration(runtime: Runtime, sink: Sink) -> str:
    base, key = runtime.url, runtime.api_key
    request = urllib.request.Request(
        f"{base}/api/teams/on_call_engineer",
        method="PUT",
        data=json.dumps({"webhook_url": sink.url}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()
    created = post(
        f"{base}/api/integrations",
        {"name": "bench", "kind": "generic", "settings": {"rate_limit_per_minute": 100000}},
        key,
    )
    return f"{base}/api/hooks/{created['token']}"


class AnswerCalls:
    """Records the AWS calls Vigil's functions make while answering HTTP requests (not those of
    the ladders and deliveries in the background). Entered before the runtime starts, which
    builds the functions' clients."""

    def __init__(self) -> None:
        self._calls: list[Call] | None = None  # while recording, the answer's calls

    def __enter__(self) -> AnswerCalls:
        aws.client_hooks.append(self._watch)
        return self

    def __exit__(self, *_: object) -> None:
        aws.client_hooks.remove(self._watch)

    @contextmanager
    def recording(self) -> Iterator[list[Call]]:
        calls: list[Call] = []
        self._calls = calls
        try:
            yield calls
        finally:
            self._calls = None

    def _watch(self, client: Any) -> None:
        service = client.meta.service_model.service_name

        def remember(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls = self._calls
            if calls is not None and not in_background():
                calls.append((service, model.name, dict(params)))

        client.meta.events.register("before-parameter-build", remember)


class Replay:
    """Makes recorded calls again, straight against the runtime's moto with its boto3 clients:
    DynamoDB's on a copy of the table (the same keys and indexes, and the items it held when the
    copy was made: an answer's reads find what they found, and its writes meet the state they
    met), StartExecution on a state machine that does nothing once started. A call that failed in
    the answer (a conditional write refused) fails again here, and the replay goes on."""

    def __init__(self, runtime: Runtime) -> None:
        stack = runtime.stack
        self._clients, self._turns = stack.clients, stack.moto_turns
        self._table = stack.resolver.physical["Table"]["Ref"]
        self._copy = f"{self._table}-replay"
        table = self._clients["dynamodb"].describe_table(TableName=self._table)["Table"]
        self._clients["dynamodb"].create_table(
            TableName=self._copy,
            KeySchema=table["KeySchema"],
            AttributeDefinitions=table["AttributeDefinitions"],
            GlobalSecondaryIndexes=[
                {part: index[part] for part in ("IndexName", "KeySchema", "Projection")}
                for index in table.get("GlobalSecondaryIndexes", [])
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for page in self._clients["dynamodb"].get_paginator("scan").paginate(TableName=self._table):
            for item in page["Items"]:
                self._clients["dynamodb"].put_item(TableName=self._copy, Item=item)
        self._machine = _machine_doing_nothing(runtime, "replay")
        self.refused = 0  # calls refused in the replay (for new alerts: none)

    def timed(self, calls: list[Call]) -> float:
        """Seconds the calls take, made one after another as the answer made them."""
        from botocore import xform_name
        from botocore.exceptions import ClientError

        made = [
            (getattr(self._clients[service], xform_name(name)), self._retargeted(service, name, params))
            for service, name, params in calls
        ]
        with self._turns.answering():  # as an answer's calls: the background gives way alike
            started = time.perf_counter()
            for method, params in made:
                try:
                    method(**params)
                except ClientError:
                    self.refused += 1
            return time.perf_counter() - started

    def _retargeted(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if service == "dynamodb":
            text = json.dumps(params).replace(json.dumps(self._table), json.dumps(self._copy))
            return dict(json.loads(text))
        if (service, operation) == ("stepfunctions", "StartExecution"):
            return {**params, "stateMachineArn": self._machine, "name": f"{params['name']}-replay"}
        raise ValueError(f"an answer called {service}:{operation}, which the replay has no copy of")


def alert_to_page(runtime: Runtime, count: int, answer_calls: AnswerCalls) -> dict[str, Any]:
    """Each alert opens an incident; the first page is the webhook the sink receives. Each
    answer's own AWS calls are replayed right after it, timed alike."""
    replay, replayed = Replay(runtime), []
    calls: list[Call] = []  # the last answer's, reported
    with Sink() as sink:
        hook = webhook_integration(runtime, sink)
        to_incident, sent_at = [], {}
        for n in range(count):
            title = f"bench-latency-{n}"
            with answer_calls.recording() as calls:
                started = time.perf_counter()
                sent_at[title] = started
                post(hook, {"title": title, "severity": "high", "dedup_key": title})
                to_incident.append(time.perf_counter() - started)
            replayed.append(replay.timed(calls))
        sink.wait_for(count, timeout=600)  # the ladders run once the sender has paused
        to_page = [
            arrival - sent
            for title, sent in sent_at.items()
            if (arrival := sink.first_arrival(title)) is not None
        ]
    return {
        "alert_to_incident": percentiles(to_incident),
        "alert_to_first_page": percentiles(to_page),
        "own_calls_replayed": percentiles(replayed),
        "last_answer_calls": [f"{service}:{operation}" for service, operation, _ in calls],
        "replay_refused": replay.refused,
        "pages_received": len(to_page),
        "alerts_sent": count,
    }


def throughput(runtime: Runtime, count: int, workers: int = 4) -> dict[str, Any]:
    """A mix of new (40%), duplicate (40%) and resolving (20%) alerts from concurrent senders."""
    with Sink() as sink:
        hook = webhook_integration(runtime, sink)
        bodies = []
        for n in range(count):
            key = f"bench-mix-{n // 5}"
            kind = n % 5
            status = "resolved" if kind == 4 else "firing"
            bodies.append({"title": key, "dedup_key": key, "severity": "high", "status": status})
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda b: post(hook, b), bodies))
        elapsed = time.perf_counter() - started
    return _rate(count, workers, elapsed)


DUPLICATED_ALERTS = 5  # the open alerts the duplicates repeat


def duplicates(runtime: Runtime, count: int, workers: int = 4) -> dict[str, Any]:
    """Duplicates alone: a few alerts are opened first and their first pages sent (not timed:
    on AWS those ladders run in other functions), then `count` copies of them come from
    concurrent senders; each copy is one UpdateItem in the deployed function."""
    with Sink() as sink:
        hook = webhook_integration(runtime, sink)
        stamp = int(time.time() * 1000)
        keys = [f"bench-dup-{workers}-{stamp}-{n}" for n in range(DUPLICATED_ALERTS)]
        bodies = [{"title": k, "dedup_key": k, "severity": "high"} for k in keys]
        for body in bodies:
            post(hook, body)
        sink.wait_for(len(bodies), timeout=120)
        runtime.stack.quiet_for(0.5, timeout=60)
        copies = [bodies[n % len(bodies)] for n in range(count)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda b: post(hook, b), copies))
        elapsed = time.perf_counter() - started
    return _rate(count, workers, elapsed)


def duplicate_floor(runtime: Runtime, count: int, workers: int = 4) -> dict[str, Any]:
    """What a duplicate cannot go below here: its one UpdateItem (one clause to set, one to
    count), made directly with boto3 against the same moto by as many concurrent senders."""
    stack = runtime.stack
    dynamodb = stack.clients["dynamodb"]
    table = stack.resolver.physical["Table"]["Ref"]

    def count_one(n: int) -> None:
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": f"FLOORDUP#{n % DUPLICATED_ALERTS}"}, "sk": {"S": "ALERT"}},
            UpdateExpression="SET t = :t ADD n :one",
            ExpressionAttributeValues={":t": {"S": "x"}, ":one": {"N": "1"}},
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(count_one, range(count)))
    return _rate(count, workers, time.perf_counter() - started)


def _machine_doing_nothing(runtime: Runtime, purpose: str) -> str:
    """A state machine that starts like the ladder and does nothing after."""
    from local.template import ACCOUNT

    return str(
        runtime.stack.clients["stepfunctions"].create_state_machine(
            name=f"vigil-bench-{purpose}-{int(time.time())}",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/vigil-local",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        )["stateMachineArn"]
    )


def _rate(count: int, workers: int, elapsed: float) -> dict[str, Any]:
    return {
        "alerts": count,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "alerts_per_second": round(count / elapsed, 1),
    }


def duplicates_by_senders(runtime: Runtime, count: int) -> dict[str, Any]:
    """Duplicates alone with 1, 4 and 16 senders, each beside its floor."""
    return {
        str(n): {"vigil": duplicates(runtime, count, workers=n), "floor": duplicate_floor(runtime, count, n)}
        for n in SENDERS
    }


def floor(runtime: Runtime, count: int) -> dict[str, Any]:
    """The writes a new alert needs (upsert, incident put, link, StartExecution) at their
    smallest (one or two clauses, tiny items), made directly with boto3 against the same moto:
    what no implementation of the path can go below here."""
    stack = runtime.stack
    dynamodb, sfn = stack.clients["dynamodb"], stack.clients["stepfunctions"]
    table = stack.resolver.physical["Table"]["Ref"]
    machine = _machine_doing_nothing(runtime, "floor")
    samples = []
    for n in range(count):
        key = {"pk": {"S": f"FLOOR#{n}"}, "sk": {"S": "ALERT"}}
        started = time.perf_counter()
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET t = :t ADD n :one",
            ExpressionAttributeValues={":t": {"S": "x"}, ":one": {"N": "1"}},
        )
        dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": f"FLOORINC#{n}"}, "sk": {"S": "META"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET i = :i",
            ExpressionAttributeValues={":i": {"S": f"inc{n}"}},
        )
        sfn.start_execution(
            stateMachineArn=machine,
            name=f"floor-{n}-{int(time.time())}",
            input=json.dumps({"incident_id": f"floor-{n}"}),
        )
        samples.append(time.perf_counter() - started)
    return {"new_alert_calls": percentiles(samples)}


def storm(runtime: Runtime, alerts: int = 1000, wait: float = 600) -> dict[str, Any]:
    """One Alertmanager body of `alerts` alerts: how long its answer took, and how long until
    every alert was stored (grouped into one incident by the storm path)."""
    base, key = runtime.url, runtime.api_key
    created = post(f"{base}/api/integrations", {"name": "bench storm", "kind": "alertmanager"}, key)
    group = f"benchstorm{int(time.time())}"
    body = {
        "version": "4",
        "status": "firing",
        "groupLabels": {"alertname": group},
        "groupKey": f'{{}}:{{alertname="{group}"}}',  # what groups them into one incident
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": group, "instance": f"node-{n}", "severity": "critical"},
                "annotations": {"summary": f"{group}: node-{n} down"},
                "fingerprint": f"{group}-{n}",
            }
            for n in range(alerts)
        ],
    }
    started = time.perf_counter()
    answer = post(f"{base}/api/hooks/{created['token']}", body)
    answered = time.perf_counter() - started
    stored = _wait_for_alert_count(runtime, group, alerts, timeout=wait)
    return {
        "alerts": alerts,
        "answered_seconds": round(answered, 3),
        "queued": answer.get("queued", answer.get("received")),
        "all_stored_seconds": round(stored - started, 1) if stored else None,
    }


# The storm's parts give way to HTTP answers (as on AWS they would not compete at all): polling
# the list often would slow down what it measures.
STORM_POLL_SECONDS = 3


def _wait_for_alert_count(runtime: Runtime, group: str, alerts: int, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{runtime.url}/api/incident_response?limit=50",
            headers={"Authorization": f"Bearer {runtime.api_key}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            items = json.loads(response.read())["items"]
        if sum(i["alert_count"] for i in items if group in i["title"]) >= alerts:
            return time.perf_counter()
        time.sleep(STORM_POLL_SECONDS)
    return None


SENDERS = (1, 4, 16)


def on_a_fresh_runtime(section: Callable[[Runtime], Any]) -> Any:
    """Each section on a runtime of its own: the ladders and deliveries one section leaves
    behind (on AWS they would run in other functions) do not share the next one's two cores."""
    runtime = start_runtime("127.0.0.1", 0)
    try:
        return section(runtime)
    finally:
        runtime.close()


def throughput_by_senders(count: int) -> dict[str, Any]:
    """Mixed traffic from 1, 4 and 16 senders, each on a fresh runtime."""
    return {str(n): on_a_fresh_runtime(partial(throughput, count=count, workers=n)) for n in SENDERS}


def answer_beside_floors(count: int) -> dict[str, Any]:
    """The answer to `count` new alerts on a fresh runtime, over its two floors: its own AWS
    calls replayed (the ratio of the goal: what the runtime, HTTP and the handler add) and the
    minimal writes (what Vigil's richer items and expressions add on top)."""
    with AnswerCalls() as answer_calls:
        minimal, latency = on_a_fresh_runtime(
            lambda runtime: (floor(runtime, min(count, 300)), alert_to_page(runtime, count, answer_calls))
        )
    vigil = latency["alert_to_incident"]
    return {
        **latency,
        "floor": minimal,
        **_ratios("overhead_ratio", vigil, latency["own_calls_replayed"]),
        **_ratios("minimal_writes_ratio", vigil, minimal["new_alert_calls"]),
    }


def _ratios(name: str, measured: dict[str, float], baseline: dict[str, float]) -> dict[str, float | None]:
    return {
        f"{name}_{p}": round(measured[f"{p}_ms"] / baseline[f"{p}_ms"], 2) if baseline[f"{p}_ms"] else None
        for p in ("p50", "p99")
    }


def measure(count: int = 1000, storm_wait: float = 600) -> dict[str, Any]:
    latency = answer_beside_floors(count)
    mix = throughput_by_senders(max(100, count // 2))
    repeated = on_a_fresh_runtime(lambda runtime: duplicates_by_senders(runtime, max(200, count // 2)))
    return {
        **latency,
        "throughput": mix["4"],
        "throughput_by_senders": mix,
        "duplicates_by_senders": repeated,
        "storm": on_a_fresh_runtime(lambda runtime: storm(runtime, wait=storm_wait)),
    }
