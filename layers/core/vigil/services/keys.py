"""Management API keys: created with a secret shown once, stored hashed, revocable."""

from __future__ import annotations

from typing import Any

from vigil.adapters import stores
from vigil.domain.access import Scope
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Conflict, NotFound, Unauthorized
from vigil.domain.secrets import hash_secret, matches, new_id, new_secret
from vigil.services.warm import Remembered

KEY_PREFIX = "vgk"
# Warm functions remember verified keys so that an authenticated request reads nothing: a
# revocation applies in this function at once and in every other within CACHE_SECONDS.
CACHE_SECONDS = 30
_live: Remembered[str, dict[str, Any]] = Remembered(
    lambda secret_hash: _unrevoked(stores.api_keys.by_secret_hash(secret_hash)), CACHE_SECONDS
)
PUBLIC_FIELDS = ("key_id", "name", "scope", "user_id", "created_at", "revoked_at", "prefix", "email", "team")


def create_key(
    name: str,
    *,
    secret: str | None = None,
    scope: Scope = Scope.ADMIN,
    user_id: str | None = None,
    email: str | None = None,
    team: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Store a new key (of a person, with `user_id`); returns its public record and the secret
    (shown once, never stored)."""
    secret = secret or new_secret(KEY_PREFIX)
    record = {
        "key_id": new_id("key"),
        "name": name,
        "scope": scope.value,
        "user_id": user_id,
        "created_at": iso(utcnow()),
        "revoked_at": None,
        "prefix": secret[:8],
        "email": email,
        "team": team,
    }
    stores.api_keys.put(record, hash_secret(secret))
    return record, secret


def authenticate(authorization: str | None) -> dict[str, Any]:
    """The key record for an `Authorization: Bearer <key>` header, or Unauthorized."""
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    record = _live.get(hash_secret(secret))
    if not record or not matches(secret, record["secret_hash"]):
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    return _public(record)


def by_hash(secret_hash: str) -> dict[str, Any]:
    """The unrevoked key stored under this hash (a console session names its key so), or
    Unauthorized."""
    record = _live.get(secret_hash)
    if not record:
        raise Unauthorized("the session has ended: sign in again")
    return _public(record)


def live_key(key_id: str) -> tuple[dict[str, Any], str] | None:
    """An unrevoked key's public record and the hash a session names it by; None otherwise."""
    record = stores.api_keys.by_key_id(key_id)
    if not record or record.get("revoked_at"):
        return None
    return _public(record), record["secret_hash"]


def live_keys_of(email: str) -> list[dict[str, Any]]:
    """The unrevoked keys of the holder of this email address: keys that name it, and the keys
    of the person whose address it is (compared without case); oldest first."""
    wanted = email.strip().lower()
    people = {p.user_id for p in stores.users.all_stored() if p.email.lower() == wanted}
    return [
        _public(r)
        for r in sorted(stores.api_keys.all_records(), key=lambda r: (r["created_at"], r["name"]))
        if not r.get("revoked_at")
        and ((r.get("email") or "").lower() == wanted or r.get("user_id") in people)
    ]


def list_keys() -> list[dict[str, Any]]:
    """Every key, oldest first."""
    records = sorted(stores.api_keys.all_records(), key=lambda r: (r["created_at"], r["name"]))
    return [_public(record) for record in records]


def revoke(key_id: str) -> dict[str, Any]:
    """Revoke a key at once; the last admin key is refused (nobody could manage Vigil after)."""
    admins = [r["key_id"] for r in stores.api_keys.all_records() if _is_live_admin(r)]
    if admins == [key_id]:
        raise Conflict("the last admin key cannot be revoked: create another admin key first")
    revoked = stores.api_keys.revoke(key_id, iso(utcnow()))
    _live.forget()
    if revoked is None:
        raise NotFound(f"no API key {key_id}")
    return _public(revoked)


def _unrevoked(record: dict[str, Any] | None) -> dict[str, Any] | None:
    return record if record and not record.get("revoked_at") else None


def _is_live_admin(record: dict[str, Any]) -> bool:
    return not record.get("revoked_at") and (record.get("scope") or Scope.ADMIN) == Scope.ADMIN


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record.get(name) for name in PUBLIC_FIELDS} | {"scope": record.get("scope") or Scope.ADMIN}
