"""HMAC keys from Secrets Manager (current + previous, for rotation), cached briefly."""

from __future__ import annotations

import json
import os
import time

from vigil.adapters.aws import client

_CACHE_SECONDS = 300
_cache: tuple[float, list[bytes]] | None = None


def signing_keys() -> list[bytes]:
    """[current, previous?]: sign with the first, accept any."""
    global _cache
    if _cache and time.monotonic() - _cache[0] < _CACHE_SECONDS:
        return _cache[1]
    secret_id = os.environ.get("VIGIL_SIGNING_SECRET_ARN", "")
    raw = client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    value = json.loads(raw)
    keys = [value["current"].encode()] + ([value["previous"].encode()] if value.get("previous") else [])
    _cache = (time.monotonic(), keys)
    return keys


def slack_signing_secret() -> bytes:
    """Slack's signing secret, stored by the operator in the same secret (key slack_signing_secret)."""
    secret_id = os.environ.get("VIGIL_SIGNING_SECRET_ARN", "")
    value = json.loads(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    return str(value.get("slack_signing_secret", "")).encode()
