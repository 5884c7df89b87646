"""AWS calls per operation, in the request itself (not the ladder or deliveries it starts),
for a fresh instance (nothing remembered) and a warm one: docs/benchmarks.md gives each
operation's floor and why it is the floor."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from vigil.domain.teams import AlertingRules

from tests.helpers.client import ApiClient, Reply, wait_for
from tests.helpers.receiver import Receiver

INCIDENTS = "/api/incident_response"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def _calls(stack: Any, function: str, request: Callable[[], Reply], *, fresh: bool) -> dict[str, int]:
    """What one request cost its function: DynamoDB reads and writes, and every other call."""
    from vigil.services import warm

    if fresh:
        stack.quiet_for(0.3, 20)  # the ladders of earlier requests share this process's memory: let them end
        warm.forget_everything()
    reply = request()
    assert reply.status < 300, reply.body
    calls: Counter[str] = stack.last_calls[function]
    dynamo = Counter({k.split(":")[1]: v for k, v in calls.items() if k.startswith("dynamodb:")})
    others = {k: v for k, v in calls.items() if not k.startswith("dynamodb:")}
    reads = sum(v for k, v in dynamo.items() if k in READS)
    writes = sum(v for k, v in dynamo.items() if k in WRITES)
    return {"reads": reads, "writes": writes, **others}


def _hook(api: ApiClient, token: str, key: str, status: str = "firing") -> Reply:
    body = {"title": f"disk full {key}", "dedup_key": key, "status": status, "severity": "high"}
    return api.post(f"/api/hooks/{token}", body, key=None)


def _sent(api: ApiClient, title: str) -> Reply:
    return api.post("/api/alerting/send", {"title": title, "severity": "high", "source": "floors"})


# What a fresh instance reads once, then remembers: the integration token and its integration
# (or the API key and the API's built-in integration), and the live configuration (alerting and
# assignment rules, silences, stored playbooks: one Query).
FIRST_READS = 3


def _assert_floor(opened: dict[str, int], duplicate: dict[str, int], *, fresh: bool) -> None:
    assert opened == {
        "reads": opened["reads"],
        "writes": 3,  # the alert upsert, the incident with its playbook and first entry, the link
        "stepfunctions:StartExecution": 1,
    }
    assert duplicate == {"reads": duplicate["reads"], "writes": 1}
    assert opened["reads"] == duplicate["reads"] == (FIRST_READS if fresh else 0), (opened, duplicate)


@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh"])
def test_alerts_by_integration_hook_cost_their_floor(api: ApiClient, stack: Any, fresh: bool) -> None:
    token = api.integration("generic")["token"]
    key = f"floor-{secrets.token_hex(4)}"
    _hook(api, token, "warm-up")
    opened = _calls(stack, "IngestFunction", lambda: _hook(api, token, key), fresh=fresh)
    duplicate = _calls(stack, "IngestFunction", lambda: _hook(api, token, key), fresh=fresh)
    _assert_floor(opened, duplicate, fresh=fresh)


@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh"])
def test_alerts_by_api_key_cost_their_floor(api: ApiClient, stack: Any, fresh: bool) -> None:
    """The API key is verified once and remembered: a warm request reads nothing for it."""
    title = f"floors {secrets.token_hex(4)}"
    _sent(api, "warm-up")
    opened = _calls(stack, "ApiFunction", lambda: _sent(api, title), fresh=fresh)
    duplicate = _calls(stack, "ApiFunction", lambda: _sent(api, title), fresh=fresh)

    _assert_floor(opened, duplicate, fresh=fresh)


@pytest.fixture
def one_rung(api: ApiClient, receiver: Receiver, fresh_policy: None) -> Iterator[None]:
    """A ladder whose rung 0 pages a reachable team and waits long: there is a task token to
    answer. The resolve notice is off (its own reads are counted apart)."""
    team = {"webhook_url": f"{receiver.url}/floors"}
    assert api.put("/api/teams/floors_team", team).status == 200
    rung = {"escalation_level": 1, "escalate_to": "floors_team", "escalate_after_seconds": 600}
    policy = {
        "targets": ["floors_team"],
        "rules": [{**rung, "notification_channels": ["webhook"]}],
        "fallback_target": None,
    }
    assert api.put(f"{INCIDENTS}/escalation-rules", policy).status == 200, policy
    quiet = AlertingRules(notify_resolved_for=[]).model_dump(mode="json")
    assert api.put("/api/alerting/rules", quiet).status == 200
    yield
    api.reset_alerting_rules()


def _waiting_incident(api: ApiClient) -> tuple[str, str]:
    """An incident opened by a hook alert whose rung 0 has paged and waits (a task token to answer)."""
    from vigil.adapters import stores

    token = api.integration("generic")["token"]
    key = f"floor-{secrets.token_hex(4)}"
    incident_id = _hook(api, token, key).body["alerts"][0]["incident_id"]
    wait_for(lambda: stores.incidents.get(incident_id).waiting_token)
    return incident_id, token


def _ladder_answered(incident_id: str, answer: str) -> None:
    """The ladder's run ended with the answer the request sent (SendTaskSuccess, no polling)."""
    import boto3
    from vigil.adapters import stores

    arn = stores.incidents.get(incident_id).escalation.execution_arn
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    execution = wait_for(lambda: (e := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and e)
    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"])["answer"]["answer"] == answer, execution["output"]


# A person's request: the incident and its timeline in one Query (its version, its status, the
# ladder's state), and its alerts for the answer's body; a fresh instance also reads the API key.
PERSON_READS = 2


@pytest.mark.usefixtures("one_rung")
@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh"])
@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_cost_their_floor(
    api: ApiClient, stack: Any, action: str, fresh: bool
) -> None:
    """The status, its ladder state and the token in one conditional UpdateItem (which returns
    the token it removed), the timeline entry, SendTaskSuccess and the event."""
    incident_id, _ = _waiting_incident(api)
    cost = _calls(
        stack, "ApiFunction", lambda: api.post(f"{INCIDENTS}/{incident_id}/{action}", {}), fresh=fresh
    )

    assert cost == {
        "reads": PERSON_READS + (1 if fresh else 0),
        "writes": 2,
        "stepfunctions:SendTaskSuccess": 1,
        "events:PutEvents": 1,
    }, cost
    _ladder_answered(incident_id, "acknowledged" if action == "acknowledge" else "resolved")
    body = api.get(f"{INCIDENTS}/{incident_id}").body
    assert body["status"] == ("acknowledged" if action == "acknowledge" else "resolved")
    assert body["escalation"]["state"] == body["status"] and "task_token" not in body["escalation"]


@pytest.mark.usefixtures("one_rung")
@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh"])
def test_a_status_change_by_put_costs_the_same(api: ApiClient, stack: Any, fresh: bool) -> None:
    incident_id, _ = _waiting_incident(api)
    change = {"status": "resolved", "reason": "fixed"}
    cost = _calls(stack, "ApiFunction", lambda: api.put(f"{INCIDENTS}/{incident_id}", change), fresh=fresh)

    assert cost == {
        "reads": PERSON_READS + (1 if fresh else 0),
        "writes": 2,
        "stepfunctions:SendTaskSuccess": 1,
        "events:PutEvents": 1,
    }, cost


@pytest.mark.usefixtures("one_rung")
@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh"])
def test_the_last_alert_resolving_at_its_source_costs_its_floor(
    api: ApiClient, stack: Any, fresh: bool
) -> None:
    """The alert's resolve (which returns its incident), one UpdateItem counting it and resolving
    the incident with the ladder's token removed, one timeline item holding both entries."""
    incident_id, token = _waiting_incident(api)
    key = api.incident(incident_id)["alerts"][0]["dedup_key"]
    cost = _calls(stack, "IngestFunction", lambda: _hook(api, token, key, "resolved"), fresh=fresh)

    assert cost == {
        "reads": FIRST_READS if fresh else 0,
        "writes": 3,
        "stepfunctions:SendTaskSuccess": 1,
        "events:PutEvents": 1,
    }, cost
    _ladder_answered(incident_id, "resolved")
    messages = [e["message"] for e in api.get(f"{INCIDENTS}/{incident_id}/timeline").body["items"]]
    at = messages.index(f"alert resolved at source: disk full {key}")  # then, in the same item:
    assert messages[at + 1] == "open → resolved: every alert resolved at its source", messages


@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh"])
def test_an_alert_joining_an_open_incident_costs_its_floor(api: ApiClient, stack: Any, fresh: bool) -> None:
    """The upsert, the correlation window's claim (a conditional write that answers the holder),
    the link, the incident's counts (which return it: severities compared without a read) and
    the timeline entry."""
    token = api.integration("generic", {"grouping_key": "{{ labels.service }}"})["token"]
    group = f"svc-{secrets.token_hex(4)}"

    def alert(key: str) -> Reply:
        body = {"title": f"slow {key}", "dedup_key": key, "severity": "high", "labels": {"service": group}}
        return api.post(f"/api/hooks/{token}", body, key=None)

    first = alert("a").body["alerts"][0]
    cost = _calls(stack, "IngestFunction", lambda: alert("b"), fresh=fresh)

    assert cost == {"reads": FIRST_READS if fresh else 0, "writes": 5}, cost
    from vigil.adapters import stores

    stored = stores.incidents.get(first["incident_id"])
    assert stored.alert_count == 2 and stored.firing_alerts == 2
    detail = api.incident(first["incident_id"])
    assert sorted(a["dedup_key"] for a in detail["alerts"]) == ["a", "b"]
    assert "alert joined: slow b" in [e["message"] for e in detail["timeline"]]  # the ladder adds its own


def test_a_revoked_key_is_refused_at_once_by_the_instance_that_revoked_it(api: ApiClient) -> None:
    created = api.post("/api/keys", {"name": "floors"})
    assert created.status == 201, created.body
    key = ApiClient(api.base, created.body["secret"])
    assert key.get("/api/keys").status == 200  # verified and remembered
    assert api.call("DELETE", f"/api/keys/{created.body['key_id']}").status == 200
    assert key.get("/api/keys").status == 401
