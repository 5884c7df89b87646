"""The fuzz runs on the session's local runtime with an API key of its own, and gives the stack
back as it found it: the tests that run after it in this worker must not meet a fuzzed routing
rule, escalation policy, template, silence or team, nor join a fuzzed incident."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.client import ApiClient

Key = tuple[str, str]
# Configuration the fuzz may change: put back exactly as it was.
CONFIGURATION = ("CONFIG#", "TEAM#", "PLAYBOOK#", "SILENCE", "INTEGRATION#", "TOKEN#")


def _table() -> dict[Key, dict[str, Any]]:
    from vigil.adapters import dynamo
    from vigil.adapters.aws import client

    items: dict[Key, dict[str, Any]] = {}
    params: dict[str, Any] = {"TableName": dynamo.table_name(), "ConsistentRead": True}
    while True:
        page = client("dynamodb").scan(**params)
        for raw in page.get("Items", []):
            item = dynamo.deserialize(raw)
            items[(item["pk"], item["sk"])] = item
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture(scope="module")
def fuzz_key(runtime: Any, restored_stack: None) -> Iterator[str]:
    """A key of the fuzz's own, so that nothing it does can lock out the session's admin key."""
    admin = ApiClient(runtime.url, runtime.api_key)
    reply = admin.post("/api/keys", {"name": "fuzz"})
    assert reply.status == 201, reply.body
    yield str(reply.body["secret"])
    assert admin.call("DELETE", f"/api/keys/{reply.body['key_id']}").status == 200


@pytest.fixture(scope="module")
def restored_stack(runtime: Any) -> Iterator[None]:
    """Snapshot the table; afterwards stop and delete the incidents the fuzz opened, remove
    everything else it created, and put the configuration back."""
    from vigil.adapters import dynamo
    from vigil.services import warm

    before = _table()
    yield
    admin = ApiClient(runtime.url, runtime.api_key)
    for pk, sk in _table():
        if sk == "META" and pk.startswith("INCIDENT#") and (pk, sk) not in before:
            # through the API: the ladder is stopped, not left to page
            reply = admin.call("DELETE", f"/api/incident_response/{pk.split('#', 1)[1]}?force=true")
            assert reply.status in (200, 404), reply.body
    known, after = {pk for pk, _ in before}, _table()
    for pk, sk in after:
        if pk not in known or (pk.startswith(CONFIGURATION) and (pk, sk) not in before):
            dynamo.delete(pk, sk)
    for key, item in before.items():
        if key[0].startswith(CONFIGURATION) and after.get(key) != item:
            dynamo.put(item)
    warm.forget_everything()  # the in-process functions keep configuration 30 s: start cold
