"""Access: every management route needs a valid key; tokens only ingest, into their own
integration; secrets never show up in the table, in responses after creation, or in logs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from vigil.api import ingest
from vigil.api.auth import PUBLIC_ROUTES

from tests.helpers.client import ApiClient

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
PUBLIC = {*PUBLIC_ROUTES, *ingest.ROUTES}  # the ingest routes take tokens
MANAGEMENT = [
    (method.upper(), path) for path, ops in OPENAPI["paths"].items() if path not in PUBLIC for method in ops
]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.mark.parametrize(("method", "path"), MANAGEMENT)
def test_every_management_route_refuses_a_bad_key_without_detail(
    api: ApiClient, method: str, path: str
) -> None:
    revoked = api.post("/api/keys", {"name": "to revoke"}).body
    api.call("DELETE", f"/api/keys/{revoked['key_id']}")
    bodies = []
    for key in (None, "garbage", f"{api.key}x", revoked["secret"]):
        reply = api.call(method, _concrete(path), {} if method in ("POST", "PUT", "PATCH") else None, key=key)
        assert reply.status == 401, (method, path, key)
        bodies.append(reply.body)
    basic = api.call(method, _concrete(path), key=False, headers={"Authorization": f"Basic {api.key}"})
    assert basic.status == 401
    assert all(b == bodies[0] for b in bodies), "every refusal looks the same: nothing to learn from it"


def test_an_integration_token_is_not_an_api_key_and_ingests_only_into_its_own(api: ApiClient) -> None:
    first, second = api.integration("generic"), api.integration("generic")
    assert api.get("/api/incident_response", key=first["token"]).status == 401
    sent = api.post(f"/api/hooks/{first['token']}", {"title": "token scope", "severity": "low"}, key=None)
    assert sent.body["integration_id"] == first["integration_id"] != second["integration_id"]
    stored = api.get(f"/api/alerting/{sent.body['alerts'][0]['alert_id']}").body
    assert stored["integration_id"] == first["integration_id"]


def test_secrets_are_stored_only_as_hashes_and_never_shown_again(api: ApiClient, stack: Any) -> None:
    key = api.post("/api/keys", {"name": "secret-check"}).body
    integration = api.integration("pagerduty")
    event = {
        "routing_key": integration["token"],
        "event_action": "trigger",
        "payload": {"summary": "secret check", "source": "db-1", "severity": "error"},
    }
    assert api.post("/v2/enqueue", event, key=None).status == 202
    rotated = api.post(f"/api/integrations/{integration['integration_id']}/rotate", {"grace_seconds": 0}).body
    secrets = [key["secret"], integration["token"], rotated["token"], api.key]

    table = stack.resolver.physical["Table"]["Ref"]
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
    dump = json.dumps(items)
    assert not [s for s in secrets if s in dump]

    shown = json.dumps(
        [
            api.get("/api/keys").body,
            api.get(f"/api/integrations/{integration['integration_id']}").body,
            api.get("/api/integrations").body,
        ]
    )
    assert not [s for s in secrets if s in shown]
    refused = api.post(f"/api/hooks/{integration['token']}x", {"title": "x"}, key=None)
    assert integration["token"] not in json.dumps(refused.body)


def test_secrets_never_reach_the_logs(api: ApiClient, capfd: pytest.CaptureFixture[str]) -> None:
    key = api.post("/api/keys", {"name": "log-check"}).body["secret"]
    integration = api.integration("generic")
    api.post(f"/api/hooks/{integration['token']}", {"title": "log check"}, key=None)
    api.post(f"/api/hooks/{integration['token']}", raw=b"{broken", key=None)
    api.get("/api/incident_response", key=key)
    api.get("/api/incident_response", key=key + "x")
    out, err = capfd.readouterr()
    for secret in (key, integration["token"]):
        assert secret not in out and secret not in err
