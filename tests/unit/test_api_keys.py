"""API keys as entities: the api_keys store writes the item it always wrote, and reads items
of every age (keys from before scopes, people or emails) as StoredApiKey."""

from __future__ import annotations

from typing import Any

import pytest
from vigil.adapters import dynamo
from vigil.adapters.stores import api_keys
from vigil.domain.access import Scope
from vigil.domain.api_keys import ApiKey, StoredApiKey

HASH = "ab" * 32


def test_a_key_is_stored_as_the_same_item_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[dict[str, Any]] = []
    monkeypatch.setattr(dynamo, "put", lambda item, **_: written.append(dict(item)))
    key = StoredApiKey(
        key_id="key_1",
        name="robot",
        scope=Scope.RESPONDER,
        created_at="2026-03-09T12:00:00Z",
        prefix="vgk_abcd",
        team="db",
        secret_hash=HASH,
    )
    api_keys.put(key)
    assert written == [
        {
            "pk": f"APIKEY#{HASH}",
            "sk": "KEY",
            "gsi1pk": "APIKEYS",
            "gsi1sk": "key_1",
            "key_id": "key_1",
            "name": "robot",
            "scope": "responder",
            "user_id": None,
            "created_at": "2026-03-09T12:00:00Z",
            "revoked_at": None,
            "prefix": "vgk_abcd",
            "email": None,
            "team": "db",
        }
    ]
    assert type(written[0]["scope"]) is str


@pytest.mark.parametrize("scope", [{}, {"scope": None}])
def test_a_key_stored_before_scopes_reads_as_an_admin_key(
    monkeypatch: pytest.MonkeyPatch, scope: dict[str, Any]
) -> None:
    item = {
        "pk": f"APIKEY#{HASH}",
        "sk": "KEY",
        "gsi1pk": "APIKEYS",
        "gsi1sk": "key_old",
        "key_id": "key_old",
        "name": "old",
        "created_at": "2026-01-01T00:00:00Z",
        "revoked_at": None,
        "prefix": "vgk_0000",
        **scope,
    }
    monkeypatch.setattr(dynamo, "get", lambda pk, sk, **_: item if (pk, sk) == (item["pk"], "KEY") else None)
    key = api_keys.by_secret_hash(HASH)
    assert key is not None and key.scope is Scope.ADMIN and key.live_admin
    assert key.secret_hash == HASH and key.user_id is None and key.email is None
    shown = key.shown()
    assert type(shown) is ApiKey and "secret_hash" not in shown.model_dump()
    assert shown.actor == "key:old"
    assert api_keys.by_secret_hash("cd" * 32) is None


def test_a_revoked_key_is_not_live_and_a_persons_key_acts_as_them() -> None:
    key = StoredApiKey(
        key_id="key_2",
        name="alice's",
        user_id="alice",
        created_at="2026-03-09T12:00:00Z",
        revoked_at="2026-03-10T08:00:00Z",
        prefix="vgk_ef01",
        secret_hash=HASH,
    )
    assert not key.live and not key.live_admin
    assert key.shown().actor == "user:alice"
