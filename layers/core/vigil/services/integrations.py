"""Integrations: one per monitoring source, each with a token that only ingests into it.

Only the token's hash is stored. Rotation issues a new token; the old one keeps working for a
grace period so that senders can be reconfigured without losing alerts.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidInput, Unauthorized
from vigil.domain.integrations import Integration
from vigil.domain.secrets import hash_secret, new_id, new_secret
from vigil.domain.vocabulary import KINDS, IntegrationKind
from vigil.services import warm

TOKEN_PREFIX = "vgi"  # noqa: S105 - a label, not a secret
DEFAULT_GRACE = timedelta(hours=24)
# Warm functions remember tokens briefly so that a duplicate alert costs no read.
CACHE_SECONDS = 60
_token_cache: dict[str, tuple[float, Integration]] = {}
warm.also_forget(_token_cache.clear)


def create(name: str, kind: IntegrationKind, settings: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}")
    token = new_secret(TOKEN_PREFIX)
    now = iso(utcnow())
    integration = Integration(
        integration_id=new_id("int"),
        name=name,
        kind=kind,
        settings=settings,
        created_at=now,
        updated_at=now,
        token_prefix=token[:8],
        token_hash=hash_secret(token),
    )
    stores.integrations.create(integration)
    return integration.public(), token


def get(integration_id: str) -> dict[str, Any]:
    return stores.integrations.get(integration_id).public()


def list_all() -> list[dict[str, Any]]:
    return [integration.public() for integration in stores.integrations.all_stored()]


def update(integration_id: str, name: str | None, settings: dict[str, Any] | None) -> dict[str, Any]:
    stores.integrations.get(integration_id)
    sets: dict[str, Any] = {"updated_at": iso(utcnow())}
    if name is not None:
        sets["name"] = name
    if settings is not None:
        sets["settings"] = settings
    _builtin_cache.pop(integration_id, None)
    _token_cache.clear()  # new settings apply in this instance at once, in others within CACHE_SECONDS
    return stores.integrations.update(integration_id, sets).public()


def rotate(integration_id: str, grace_seconds: int | None = None) -> tuple[dict[str, Any], str]:
    current = stores.integrations.get(integration_id, consistent=True)
    grace = timedelta(seconds=grace_seconds) if grace_seconds is not None else DEFAULT_GRACE
    token, now = new_secret(TOKEN_PREFIX), utcnow()
    new_hash, valid_until = hash_secret(token), now + grace
    stores.integrations.rotate(
        integration_id, current.token_hash, new_hash, token[:8], now=now, old_valid_until=valid_until
    )
    _token_cache.clear()
    return get(integration_id), token


def delete(integration_id: str) -> None:
    stores.integrations.delete(stores.integrations.get(integration_id, consistent=True))
    _token_cache.clear()


def authenticate(token: str | None) -> Integration:
    """The integration a token belongs to, or Unauthorized (the same answer for every failure)."""
    if not token or len(token) > 200:
        raise Unauthorized("unknown integration token")
    token_hash = hash_secret(token)
    cached = _token_cache.get(token_hash)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    entry = stores.integrations.token(token_hash)
    if not entry or (entry.get("valid_until") and entry["valid_until"] < iso(utcnow())):
        raise Unauthorized("unknown integration token")
    integration = stores.integrations.find(entry["integration_id"])
    if not integration:
        raise Unauthorized("unknown integration token")
    _token_cache[token_hash] = (time.monotonic(), integration)
    return integration


_builtin_cache: dict[str, tuple[float, Integration]] = {}
warm.also_forget(_builtin_cache.clear)


def builtin(integration_id: str, name: str, kind: IntegrationKind) -> Integration:
    """An integration without a token, for alerts that arrive inside AWS or by API key;
    created on first use, and configurable like any other (PATCH its settings)."""
    cached = _builtin_cache.get(integration_id)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    integration = stores.integrations.find(integration_id)
    if integration is None:
        now = iso(utcnow())
        integration = stores.integrations.create_tokenless(
            Integration(
                integration_id=integration_id,
                name=name,
                kind=kind,
                created_at=now,
                updated_at=now,
                token_prefix="",
            )
        )
    _builtin_cache[integration_id] = (time.monotonic(), integration)
    return integration
