"""Management API keys, keyed by the hash of their secret."""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo
from vigil.adapters.stores.keys import without_keys

Record = dict[str, Any]
INDEX = "APIKEYS"


def _pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


def put(record: Record, secret_hash: str) -> None:
    dynamo.put({"pk": _pk(secret_hash), "sk": "KEY", "gsi1pk": INDEX, "gsi1sk": record["key_id"], **record})


def by_secret_hash(secret_hash: str) -> Record | None:
    item = dynamo.get(_pk(secret_hash), "KEY")
    return _with_hash(item) if item else None


def by_key_id(key_id: str) -> Record | None:
    return next((_with_hash(i) for i in dynamo.query_all(INDEX, index="gsi1") if i["key_id"] == key_id), None)


def _with_hash(item: dict[str, Any]) -> Record:
    return {**without_keys(item), "secret_hash": item["pk"].split("#", 1)[1]}


def all_records() -> list[Record]:
    return [without_keys(i) for i in dynamo.query_all(INDEX, index="gsi1")]


def revoke(key_id: str, at: str) -> Record | None:
    """The revoked key's record; None when there is no such key."""
    for item in dynamo.query_all(INDEX, index="gsi1"):
        if item["key_id"] == key_id:
            return without_keys(dynamo.update(item["pk"], "KEY", "SET revoked_at = :now", {":now": at}))
    return None
