"""Integrations: one per monitoring source, each with a token that only ingests into it.

Only the token's hash is stored. Rotation issues a new token; the old one keeps working for a
grace period so that senders can be reconfigured without losing alerts.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from vigil.adapters import dynamo
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidInput, NotFound, Unauthorized
from vigil.domain.secrets import hash_secret, new_id, new_secret

TOKEN_PREFIX = "vgi"  # noqa: S105 - a label, not a secret
KINDS = ("alertmanager", "grafana", "cloudwatch", "datadog", "pagerduty", "generic")
DEFAULT_GRACE = timedelta(hours=24)
# Warm functions remember tokens briefly so that a duplicate alert costs no read.
CACHE_SECONDS = 60
_token_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _token_pk(token_hash: str) -> str:
    return f"TOKEN#{token_hash}"


def _pk(integration_id: str) -> str:
    return f"INTEGRATION#{integration_id}"


def create(name: str, kind: str, settings: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}")
    integration_id = new_id("int")
    token = new_secret(TOKEN_PREFIX)
    now = iso(utcnow())
    record = {
        "integration_id": integration_id,
        "name": name,
        "kind": kind,
        "settings": settings,
        "created_at": now,
        "updated_at": now,
        "token_prefix": token[:8],
    }
    dynamo.transact(
        [
            {
                "Put": {
                    "Item": {
                        "pk": _pk(integration_id),
                        "sk": "META",
                        "gsi1pk": "INTEGRATIONS",
                        "gsi1sk": integration_id,
                        "token_hash": hash_secret(token),
                        **record,
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "Item": {
                        "pk": _token_pk(hash_secret(token)),
                        "sk": "TOKEN",
                        "integration_id": integration_id,
                    }
                }
            },
        ]
    )
    return record, token


def get(integration_id: str) -> dict[str, Any]:
    item = dynamo.get(_pk(integration_id), "META")
    if not item:
        raise NotFound(f"no integration {integration_id}")
    return _public(item)


def list_all() -> list[dict[str, Any]]:
    return [_public(i) for i in dynamo.query_all("INTEGRATIONS", index="gsi1")]


def update(integration_id: str, name: str | None, settings: dict[str, Any] | None) -> dict[str, Any]:
    get(integration_id)
    sets: dict[str, Any] = {"updated_at": iso(utcnow())}
    if name is not None:
        sets["name"] = name
    if settings is not None:
        sets["settings"] = settings
    expression = "SET " + ", ".join(f"#{k} = :{k}" for k in sets)
    _builtin_cache.pop(integration_id, None)
    _token_cache.clear()  # new settings apply in this instance at once, in others within CACHE_SECONDS
    item = dynamo.update(
        _pk(integration_id),
        "META",
        expression,
        {f":{k}": v for k, v in sets.items()},
        names={f"#{k}": k for k in sets},
    )
    return _public(item)


def rotate(integration_id: str, grace_seconds: int | None = None) -> tuple[dict[str, Any], str]:
    item = dynamo.get(_pk(integration_id), "META", consistent=True)
    if not item:
        raise NotFound(f"no integration {integration_id}")
    grace = timedelta(seconds=grace_seconds) if grace_seconds is not None else DEFAULT_GRACE
    old_hash, token = item["token_hash"], new_secret(TOKEN_PREFIX)
    now = utcnow()
    dynamo.transact(
        [
            {
                "Update": {
                    "Key": {"pk": _pk(integration_id), "sk": "META"},
                    "UpdateExpression": "SET token_hash = :new, token_prefix = :prefix, updated_at = :now",
                    "ConditionExpression": "token_hash = :old",
                    "ExpressionAttributeValues": {
                        ":new": hash_secret(token),
                        ":prefix": token[:8],
                        ":now": iso(now),
                        ":old": old_hash,
                    },
                }
            },
            {
                "Put": {
                    "Item": {
                        "pk": _token_pk(hash_secret(token)),
                        "sk": "TOKEN",
                        "integration_id": integration_id,
                    }
                }
            },
            {
                "Put": {
                    "Item": {
                        "pk": _token_pk(old_hash),
                        "sk": "TOKEN",
                        "integration_id": integration_id,
                        "valid_until": iso(now + grace),
                        "expires_at": int((now + grace).timestamp()),
                    }
                }
            },
        ]
    )
    _token_cache.clear()
    return get(integration_id), token


def delete(integration_id: str) -> None:
    item = dynamo.get(_pk(integration_id), "META", consistent=True)
    if not item:
        raise NotFound(f"no integration {integration_id}")
    dynamo.delete(_token_pk(item["token_hash"]), "TOKEN")
    dynamo.delete(_pk(integration_id), "META")
    _token_cache.clear()


def authenticate(token: str | None) -> dict[str, Any]:
    """The integration a token belongs to, or Unauthorized (the same answer for every failure)."""
    if not token or len(token) > 200:
        raise Unauthorized("unknown integration token")
    token_hash = hash_secret(token)
    cached = _token_cache.get(token_hash)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    entry = dynamo.get(_token_pk(token_hash), "TOKEN")
    if not entry or (entry.get("valid_until") and entry["valid_until"] < iso(utcnow())):
        raise Unauthorized("unknown integration token")
    integration = dynamo.get(_pk(entry["integration_id"]), "META")
    if not integration:
        raise Unauthorized("unknown integration token")
    _token_cache[token_hash] = (time.monotonic(), integration)
    return integration


def _public(item: dict[str, Any]) -> dict[str, Any]:
    fields = ("integration_id", "name", "kind", "settings", "created_at", "updated_at", "token_prefix")
    return {f: item.get(f) for f in fields}


_builtin_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def builtin(integration_id: str, name: str, kind: str) -> dict[str, Any]:
    """An integration without a token, for alerts that arrive inside AWS or by API key;
    created on first use, and configurable like any other (PATCH its settings)."""
    cached = _builtin_cache.get(integration_id)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    item = dynamo.get(_pk(integration_id), "META")
    if not item:
        now = iso(utcnow())
        item = {
            "pk": _pk(integration_id),
            "sk": "META",
            "gsi1pk": "INTEGRATIONS",
            "gsi1sk": integration_id,
            "integration_id": integration_id,
            "name": name,
            "kind": kind,
            "settings": {},
            "created_at": now,
            "updated_at": now,
            "token_prefix": "none",
            "token_hash": "none",
        }
        try:
            dynamo.put(item, condition="attribute_not_exists(pk)")
        except Exception as error:
            if not dynamo.is_conditional_failure(error):
                raise
    _builtin_cache[integration_id] = (time.monotonic(), item)
    return item
