"""HMAC keys (current + previous, for rotation) and Slack's signing secret, from one Secrets
Manager secret. The keys are cached for CACHE_SECONDS in a warm function; Slack's secret is
read on each use, so that an operator's change applies at once."""

from __future__ import annotations

import json
import time

from vigil.adapters.aws import call
from vigil.config import settings

CACHE_SECONDS = 300
_cache: tuple[float, dict[str, str]] | None = None


def signing_keys() -> list[bytes]:
    """[current, previous?]: sign with the first, accept any."""
    global _cache
    if not _cache or time.monotonic() - _cache[0] >= CACHE_SECONDS:
        _cache = (time.monotonic(), _secret())
    value = _cache[1]
    return [value["current"].encode()] + ([value["previous"].encode()] if value.get("previous") else [])


def slack_signing_secret() -> bytes:
    """Slack's signing secret, stored by the operator in the same secret (key slack_signing_secret)."""
    return str(_secret().get("slack_signing_secret", "")).encode()


def _secret() -> dict[str, str]:
    response = call("secretsmanager", "get_secret_value", SecretId=settings().signing_secret_arn)
    return dict(json.loads(response["SecretString"]))
