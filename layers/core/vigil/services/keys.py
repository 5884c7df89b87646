"""Management API keys: created with a secret shown once, stored hashed, revocable."""

from __future__ import annotations

from vigil.adapters import stores
from vigil.domain.access import Scope
from vigil.domain.api_keys import ApiKey, StoredApiKey
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Conflict, NotFound, Unauthorized
from vigil.domain.secrets import hash_secret, matches, new_id, new_secret
from vigil.services.warm import Remembered

KEY_PREFIX = "vgk"
# Warm functions remember verified keys so that an authenticated request reads nothing: a
# revocation applies in this function at once and in every other within CACHE_SECONDS.
CACHE_SECONDS = 30
_live: Remembered[str, StoredApiKey] = Remembered(
    lambda secret_hash: _unrevoked(stores.api_keys.by_secret_hash(secret_hash)), CACHE_SECONDS
)


def create_key(
    name: str,
    *,
    secret: str | None = None,
    scope: Scope = Scope.ADMIN,
    user_id: str | None = None,
    email: str | None = None,
    team: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key (of a person, with `user_id`); returns the key and its secret (shown
    once, never stored)."""
    secret = secret or new_secret(KEY_PREFIX)
    key = StoredApiKey(
        key_id=new_id("key"),
        name=name,
        scope=scope,
        user_id=user_id,
        created_at=iso(utcnow()),
        prefix=secret[:8],
        email=email,
        team=team,
        secret_hash=hash_secret(secret),
    )
    stores.api_keys.put(key)
    return key.shown(), secret


def authenticate(authorization: str | None) -> ApiKey:
    """The key of an `Authorization: Bearer <key>` header, or Unauthorized."""
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    key = _live.get(hash_secret(secret))
    if key is None or not matches(secret, key.secret_hash):
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    return key.shown()


def by_hash(secret_hash: str) -> ApiKey:
    """The unrevoked key stored under this hash (a console session names its key so), or
    Unauthorized."""
    key = _live.get(secret_hash)
    if key is None:
        raise Unauthorized("the session has ended: sign in again")
    return key.shown()


def live_key(key_id: str) -> StoredApiKey | None:
    """An unrevoked key (its hash is what a session names it by); None otherwise."""
    return _unrevoked(stores.api_keys.by_key_id(key_id))


def live_keys_of(email: str) -> list[ApiKey]:
    """The unrevoked keys of the holder of this email address: keys that name it, and the keys
    of the person whose address it is (compared without case); oldest first."""
    wanted = email.strip().lower()
    people = {p.user_id for p in stores.users.all_stored() if p.email.lower() == wanted}
    return [
        key.shown()
        for key in _oldest_first(stores.api_keys.all_stored())
        if key.live and ((key.email or "").lower() == wanted or key.user_id in people)
    ]


def list_keys() -> list[ApiKey]:
    """Every key, oldest first."""
    return [key.shown() for key in _oldest_first(stores.api_keys.all_stored())]


def revoke(key_id: str) -> ApiKey:
    """Revoke a key at once; the last admin key is refused (nobody could manage Vigil after)."""
    admins = [key.key_id for key in stores.api_keys.all_stored() if key.live_admin]
    if admins == [key_id]:
        raise Conflict("the last admin key cannot be revoked: create another admin key first")
    revoked = stores.api_keys.revoke(key_id, iso(utcnow()))
    _live.forget()
    if revoked is None:
        raise NotFound(f"no API key {key_id}")
    return revoked.shown()


def _unrevoked(key: StoredApiKey | None) -> StoredApiKey | None:
    return key if key is not None and key.live else None


def _oldest_first(stored: list[StoredApiKey]) -> list[StoredApiKey]:
    return sorted(stored, key=lambda key: (key.created_at, key.name))
