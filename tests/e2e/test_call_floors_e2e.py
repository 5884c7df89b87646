"""AWS calls per operation, in the request itself (not the ladder or deliveries it starts),
for a fresh instance (nothing remembered) and a warm one: docs/benchmarks.md gives each
operation's floor and why it is the floor."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.client import ApiClient, Reply, wait_for

INCIDENTS = "/api/incident_response"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def _calls(stack: Any, function: str, request: Callable[[], Reply], *, fresh: bool) -> dict[str, int]:
    """What one request cost its function: DynamoDB reads and writes, and every other call."""
    from vigil.services import warm

    if fresh:
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


# What a fresh instance reads once, then remembers (at most): the integration token and its
# integration (or the API key and the API's built-in integration), the alerting rules, the
# silences, and for a new incident the assignment rules and the stored playbooks.
FIRST_READS = {"opened": 6, "duplicate": 4}


def _assert_floor(opened: dict[str, int], duplicate: dict[str, int], *, fresh: bool) -> None:
    assert opened == {
        "reads": opened["reads"],
        "writes": 3,  # the alert upsert, the incident with its playbook and first entry, the link
        "stepfunctions:StartExecution": 1,
    }
    assert duplicate == {"reads": duplicate["reads"], "writes": 1}
    if fresh:
        assert 0 < opened["reads"] <= FIRST_READS["opened"], opened
        assert 0 < duplicate["reads"] <= FIRST_READS["duplicate"], duplicate
    else:
        assert opened["reads"] == duplicate["reads"] == 0


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


def test_responder_actions_cost_no_more_than_measured(api: ApiClient, stack: Any) -> None:
    """Above their floor (1 read, 2 writes; docs/benchmarks.md says what is left): held where they are."""
    from vigil.adapters import stores

    incident_id = _sent(api, f"floors {secrets.token_hex(4)}").body["incident_id"]
    wait_for(lambda: (stores.incidents.get(incident_id).get("escalation") or {}).get("task_token"))
    ack = _calls(
        stack, "ApiFunction", lambda: api.post(f"{INCIDENTS}/{incident_id}/acknowledge", {}), fresh=False
    )
    resolve = _calls(
        stack,
        "ApiFunction",
        lambda: api.put(f"{INCIDENTS}/{incident_id}", {"status": "resolved"}),
        fresh=False,
    )
    assert ack["reads"] <= 6 and ack["writes"] <= 3, ack
    assert ack["stepfunctions:SendTaskSuccess"] == 1 and ack["events:PutEvents"] == 1, ack
    assert resolve["reads"] <= 5 and resolve["writes"] <= 2 and resolve["events:PutEvents"] == 1, resolve


def test_a_revoked_key_is_refused_at_once_by_the_instance_that_revoked_it(api: ApiClient) -> None:
    created = api.post("/api/keys", {"name": "floors"})
    assert created.status == 201, created.body
    key = ApiClient(api.base, created.body["secret"])
    assert key.get("/api/keys").status == 200  # verified and remembered
    assert api.call("DELETE", f"/api/keys/{created.body['key_id']}").status == 200
    assert key.get("/api/keys").status == 401
