"""Management API keys, keyed by the hash of their secret."""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo
from vigil.adapters.stores.keys import without_keys
from vigil.domain.api_keys import StoredApiKey

INDEX = "APIKEYS"


def _pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


def put(key: StoredApiKey) -> None:
    fields = key.model_dump(mode="json", exclude={"secret_hash"})
    dynamo.put({"pk": _pk(key.secret_hash), "sk": "KEY", "gsi1pk": INDEX, "gsi1sk": key.key_id, **fields})


def by_secret_hash(secret_hash: str) -> StoredApiKey | None:
    item = dynamo.get(_pk(secret_hash), "KEY")
    return _stored(item) if item else None


def by_key_id(key_id: str) -> StoredApiKey | None:
    return next((_stored(i) for i in dynamo.query_all(INDEX, index="gsi1") if i["key_id"] == key_id), None)


def all_stored() -> list[StoredApiKey]:
    return [_stored(i) for i in dynamo.query_all(INDEX, index="gsi1")]


def revoke(key_id: str, at: str) -> StoredApiKey | None:
    """The revoked key; None when there is no such key."""
    for item in dynamo.query_all(INDEX, index="gsi1"):
        if item["key_id"] == key_id:
            return _stored(dynamo.update(item["pk"], "KEY", "SET revoked_at = :now", {":now": at}))
    return None


def _stored(item: dict[str, Any]) -> StoredApiKey:
    return StoredApiKey.model_validate({**without_keys(item), "secret_hash": item["pk"].split("#", 1)[1]})
