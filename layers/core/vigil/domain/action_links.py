"""Signed acknowledge/resolve links: HMAC-SHA256 over (incident, action, expiry, nonce).

A token is `<base64url payload>.<hex signature>`. It does one thing to one incident, expires,
and its nonce is spent on use (the service records it), so it cannot be altered or replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from vigil.domain.errors import Unauthorized

ACTIONS = ("acknowledge", "resolve")
LINK_LIFETIME = timedelta(hours=24)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(incident_id: str, action: str, now: datetime, key: bytes, *, nonce: str) -> str:
    expires = int((now + LINK_LIFETIME).timestamp())
    payload = _b64(
        json.dumps({"i": incident_id, "a": action, "e": expires, "n": nonce}, separators=(",", ":")).encode()
    )
    return f"{payload}.{hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()}"


def verify(token: str, keys: list[bytes], now: datetime) -> tuple[str, str, str]:
    """(incident id, action, nonce) of a valid token; Unauthorized otherwise (no detail why)."""
    payload, _, signature = token.partition(".")
    valid = any(
        hmac.compare_digest(hmac.new(k, payload.encode(), hashlib.sha256).hexdigest(), signature)
        for k in keys
    )
    if not payload or not valid:
        raise Unauthorized("this link is not valid")
    try:
        claims = json.loads(_unb64(payload))
        incident_id, action, expires, nonce = claims["i"], claims["a"], int(claims["e"]), str(claims["n"])
    except (ValueError, KeyError, TypeError):
        raise Unauthorized("this link is not valid") from None
    if action not in ACTIONS:
        raise Unauthorized("this link is not valid")
    if expires < now.timestamp():
        raise Unauthorized("this link has expired")
    return str(incident_id), str(action), nonce
