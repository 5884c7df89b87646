"""Console sessions: a signed, expiring token in an HttpOnly cookie, and a CSRF token derived
from it. Pure: the signing keys and the clock are passed in.

The token names the API key by the hash Vigil stores for it (never the key itself), so a
revoked key ends its sessions at the next request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

COOKIE = "vigil_session"
LIFETIME_SECONDS = 12 * 3600


def issue(key_hash: str, expires: datetime, signing_key: bytes, nonce: str = "") -> str:
    """A session token; `nonce` makes each sign-in's token (and so its CSRF token) its own."""
    claims = {"h": key_hash, "exp": int(expires.timestamp()), "n": nonce}
    payload = _b64(json.dumps(claims).encode())
    return f"{payload}.{_mac(signing_key, 'session', payload)}"


def verified_key_hash(token: str, signing_keys: list[bytes], now: datetime) -> str | None:
    """The key hash a genuine, unexpired token names; None for anything else."""
    claims = _verified_claims(token, "session", signing_keys, now)
    key_hash = claims.get("h") if claims else None
    return key_hash if isinstance(key_hash, str) else None


def csrf_token(session_token: str, signing_key: bytes) -> str:
    """Bound to the session: a token stolen from another session is worthless."""
    return _mac(signing_key, "csrf", session_token)


def genuine_csrf(session_token: str, presented: str, signing_keys: list[bytes]) -> bool:
    return any(hmac.compare_digest(presented, csrf_token(session_token, k)) for k in signing_keys)


def cookie_value(name: str, header: str | None) -> str | None:
    """One cookie out of a Cookie header."""
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def set_cookie(token: str, *, secure: bool, max_age: int = LIFETIME_SECONDS) -> str:
    flags = "; Secure" if secure else ""
    return f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{flags}"


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


LINK_LIFETIME_SECONDS = 15 * 60


def sign_link(key_id: str, expires: datetime, signing_key: bytes, nonce: str) -> str:
    """A magic sign-in link's token: names the key it signs in as, expires soon, and its nonce
    is spent when it is redeemed."""
    claims = {"k": key_id, "exp": int(expires.timestamp()), "n": nonce}
    payload = _b64(json.dumps(claims).encode())
    return f"{payload}.{_mac(signing_key, 'link', payload)}"


def verified_link(token: str, signing_keys: list[bytes], now: datetime) -> tuple[str, str] | None:
    """(key id, nonce) of a genuine, unexpired link token; None for anything else."""
    claims = _verified_claims(token, "link", signing_keys, now)
    if claims is None or not isinstance(claims.get("k"), str) or not isinstance(claims.get("n"), str):
        return None
    return claims["k"], claims["n"]


def _verified_claims(
    token: str, purpose: str, signing_keys: list[bytes], now: datetime
) -> dict[str, Any] | None:
    payload, _, mac = token.partition(".")
    if not token.isascii() or not any(
        hmac.compare_digest(mac, _mac(k, purpose, payload)) for k in signing_keys
    ):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if (
        not isinstance(claims, dict)
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] <= now.timestamp()
    ):
        return None
    return claims
