"""Console sign-in: an API key is exchanged for a session cookie; later requests carry the
cookie and, when they change something, the CSRF token (docs/console.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from vigil.adapters.signing import signing_keys
from vigil.domain import sessions
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Unauthorized
from vigil.domain.secrets import hash_secret
from vigil.services import keys

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CsrfRefused(Exception):
    """A state-changing request in a session without its CSRF token (403)."""


@dataclass(frozen=True)
class SignedIn:
    key: dict[str, Any]
    token: str
    csrf_token: str
    expires_at: str


def sign_in(api_key: str) -> SignedIn:
    key = keys.authenticate(f"Bearer {api_key}")
    expires = utcnow() + timedelta(seconds=sessions.LIFETIME_SECONDS)
    current = signing_keys()[0]
    token = sessions.issue(hash_secret(api_key.strip()), expires, current, nonce=secrets.token_hex(8))
    return SignedIn(key, token, sessions.csrf_token(token, current), iso(expires))


def authenticate(cookie_header: str | None, method: str, csrf_header: str | None) -> dict[str, Any]:
    """The key a session cookie stands for; Unauthorized without a valid session, CsrfRefused
    when a change comes without the session's CSRF token."""
    token = sessions.cookie_value(sessions.COOKIE, cookie_header)
    all_keys = signing_keys()
    key_hash = sessions.verified_key_hash(token, all_keys, utcnow()) if token else None
    if token is None or key_hash is None:
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    if method not in SAFE_METHODS and not sessions.genuine_csrf(token, csrf_header or "", all_keys):
        raise CsrfRefused("this change needs the session's X-CSRF-Token header")
    return keys.by_hash(key_hash)


def current(cookie_header: str | None) -> dict[str, str]:
    """What the console needs after a reload: who it is and the CSRF token (the cookie is
    HttpOnly, so the page cannot compute it)."""
    token = sessions.cookie_value(sessions.COOKIE, cookie_header) or ""
    return {"csrf_token": sessions.csrf_token(token, signing_keys()[0])}
