"""Management API keys: created with a secret shown once, stored hashed, revocable."""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import NotFound, Unauthorized
from vigil.domain.secrets import hash_secret, matches, new_id, new_secret

KEY_PREFIX = "vgk"


def _pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


def create_key(name: str, *, secret: str | None = None) -> tuple[dict[str, Any], str]:
    """Store a new key; returns its public record and the secret (shown once, never stored)."""
    secret = secret or new_secret(KEY_PREFIX)
    secret_hash = hash_secret(secret)
    record = {
        "key_id": new_id("key"),
        "name": name,
        "created_at": iso(utcnow()),
        "revoked_at": None,
        "prefix": secret[:8],
    }
    dynamo.put(
        {
            "pk": _pk(secret_hash),
            "sk": "KEY",
            "gsi1pk": "APIKEYS",
            "gsi1sk": record["key_id"],
            **record,
        }
    )
    return record, secret


def authenticate(authorization: str | None) -> dict[str, Any]:
    """The key record for an `Authorization: Bearer <key>` header, or Unauthorized."""
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    secret_hash = hash_secret(secret)
    item = dynamo.get(_pk(secret_hash), "KEY")
    if not item or item.get("revoked_at") or not matches(secret, item["pk"].split("#", 1)[1]):
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    return _public(item)


def by_hash(secret_hash: str) -> dict[str, Any]:
    """The unrevoked key stored under this hash (a console session names its key so), or
    Unauthorized."""
    item = dynamo.get(_pk(secret_hash), "KEY")
    if not item or item.get("revoked_at"):
        raise Unauthorized("the session has ended: sign in again")
    return _public(item)


def list_keys() -> list[dict[str, Any]]:
    return [_public(item) for item in dynamo.query_all("APIKEYS", index="gsi1")]


def revoke(key_id: str) -> dict[str, Any]:
    for item in dynamo.query_all("APIKEYS", index="gsi1"):
        if item["key_id"] == key_id:
            updated = dynamo.update(item["pk"], "KEY", "SET revoked_at = :now", {":now": iso(utcnow())})
            return _public(updated)
    raise NotFound(f"no API key {key_id}")


def _public(item: dict[str, Any]) -> dict[str, Any]:
    fields = ("key_id", "name", "created_at", "revoked_at", "prefix")
    return {name: item.get(name) for name in fields}
