"""Key scopes: read-only keys read, responder keys work incidents, admin keys configure; the
last admin key cannot be revoked."""

from __future__ import annotations

from typing import Any

import pytest
from vigil.domain.access import Scope, allows, required_scope
from vigil.domain.api_keys import StoredApiKey
from vigil.domain.errors import Conflict
from vigil.services import keys

from tests.helpers.client import ApiClient

INC = "/api/incident_response"


def _key(api: ApiClient, scope: str) -> ApiClient:
    created = api.post("/api/keys", {"name": f"{scope} robot", "scope": scope})
    assert created.status == 201 and created.body["scope"] == scope, created.body
    return ApiClient(api.base, created.body["secret"])


def test_a_read_only_key_reads_and_changes_nothing(api: ApiClient) -> None:
    reader = _key(api, "read-only")
    assert reader.get(INC).status == 200
    refused = reader.post(INC, {"title": "not allowed", "severity": "low"})
    assert refused.status == 403 and "read-only" in refused.body["error"]["message"]
    assert reader.post(f"{INC}/escalation-rules/simulate", {"severity": "high"}).status == 200


def test_a_responder_key_works_incidents_but_not_configuration(api: ApiClient) -> None:
    responder = _key(api, "responder")
    opened = responder.post(INC, {"title": "responder opened this", "severity": "low"})
    assert opened.status == 201
    incident_id = opened.body["incident_id"]
    assert responder.post(f"{INC}/{incident_id}/acknowledge", {}).status == 200
    assert responder.post(f"{INC}/{incident_id}/notes", {"note": "on it"}).status == 201
    assert responder.put("/api/teams/scoped", {"email_list": ["x@example.com"]}).status == 403
    assert responder.post("/api/keys", {"name": "escalating privileges"}).status == 403
    assert responder.call("DELETE", f"{INC}/{incident_id}?force=true").status == 403


def test_an_admin_key_configures(api: ApiClient) -> None:
    admin = _key(api, "admin")
    assert admin.put("/api/teams/scoped_admin", {"email_list": ["x@example.com"]}).status == 200


def test_an_unknown_scope_is_a_400_naming_it(api: ApiClient) -> None:
    reply = api.post("/api/keys", {"name": "x", "scope": "root"})
    assert reply.status == 400 and reply.body["error"]["details"][0]["field"] == "body.scope"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/keys", Scope.READ_ONLY),
        ("POST", "/api/incident_response/inc_1/acknowledge", Scope.RESPONDER),
        ("POST", "/api/alerting/send", Scope.RESPONDER),
        ("POST", "/api/silences", Scope.RESPONDER),
        ("PUT", "/api/incident_response/escalation-rules", Scope.ADMIN),
        ("POST", "/api/incident_response/escalation-rules/simulate", Scope.READ_ONLY),
        ("DELETE", "/api/incident_response/inc_1", Scope.ADMIN),
        ("PATCH", "/api/integrations/int_1", Scope.ADMIN),
    ],
)
def test_each_route_needs_its_scope(method: str, path: str, scope: Scope) -> None:
    assert required_scope(method, path) is scope
    assert allows(None, scope)  # keys from before scopes are admin keys


class _Keys:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def all_stored(self) -> list[StoredApiKey]:
        return [_stored(record) for record in self.records]

    def revoke(self, key_id: str, at: str) -> StoredApiKey | None:
        record = next(r for r in self.records if r["key_id"] == key_id)
        record["revoked_at"] = at
        return _stored(record)


def _stored(record: dict[str, Any]) -> StoredApiKey:
    fields = {"created_at": "2026-03-09T12:00:00Z", "prefix": "vgk_0000", "secret_hash": "h"}
    return StoredApiKey.model_validate(fields | record)


def test_the_last_admin_key_cannot_be_revoked(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        {"key_id": "key_admin", "name": "admin", "scope": "admin", "revoked_at": None},
        {"key_id": "key_old", "name": "old", "revoked_at": None},  # before scopes: an admin key
        {"key_id": "key_reader", "name": "reader", "scope": "read-only", "revoked_at": None},
    ]
    monkeypatch.setattr(keys.stores, "api_keys", _Keys(records))
    assert keys.revoke("key_old").revoked_at
    with pytest.raises(Conflict):
        keys.revoke("key_admin")
    assert keys.revoke("key_reader").revoked_at
