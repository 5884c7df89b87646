"""Console sign-in: an API key is exchanged for a session cookie; later requests carry the
cookie and, when they change something, the CSRF token (docs/console.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from vigil.adapters import channels, stores
from vigil.adapters.signing import signing_keys
from vigil.domain import sessions
from vigil.domain.api_keys import ApiKey
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Conflict, Unauthorized
from vigil.domain.secrets import hash_secret
from vigil.services import keys

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CsrfRefused(Exception):
    """A state-changing request in a session without its CSRF token (403)."""


@dataclass(frozen=True)
class SignedIn:
    key: ApiKey
    token: str
    csrf_token: str
    expires_at: str


def sign_in(api_key: str) -> SignedIn:
    key = keys.authenticate(f"Bearer {api_key}")
    return _session(key, hash_secret(api_key.strip()))


def _session(key: ApiKey, key_hash: str) -> SignedIn:
    expires = utcnow() + timedelta(seconds=sessions.LIFETIME_SECONDS)
    current = signing_keys()[0]
    token = sessions.issue(key_hash, expires, current, nonce=secrets.token_hex(8))
    return SignedIn(key, token, sessions.csrf_token(token, current), iso(expires))


def authenticate(cookie_header: str | None, method: str, csrf_header: str | None) -> ApiKey:
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


def send_link(email: str, base: str) -> int:
    """Email a magic sign-in link (single use, 15 minutes) for each live key the person with
    this address holds; how many were sent, which the caller does not reveal."""
    if not base:
        raise Conflict("magic links need the stack's public URL (VIGIL_PUBLIC_URL)")
    held = keys.live_keys_of(email)
    if held and not _first_request_this_minute(email):
        return 0
    for key in held:
        expires = utcnow() + timedelta(seconds=sessions.LINK_LIFETIME_SECONDS)
        token = sessions.sign_link(key.key_id, expires, signing_keys()[0], nonce=secrets.token_hex(16))
        text, html = sign_in_email(key.name, f"{base}/#/signin/link/{token}")
        channels.send_email([email], "Sign in to Vigil", html, text)
    return len(held)


def _first_request_this_minute(email: str) -> bool:
    """At most one link a minute to an address, so that nobody can flood a mailbox with them."""
    now = utcnow()
    minute = int(now.timestamp()) // 60
    return stores.links.spend(
        f"signin-request:{email.lower()}:{minute}", now=now, forget_after=now + timedelta(minutes=2)
    )


def redeem_link(token: str) -> SignedIn:
    """A session for the key a genuine, unexpired, unspent link names; Unauthorized otherwise."""
    now = utcnow()
    verified = sessions.verified_link(token, signing_keys(), now)
    key = keys.live_key(verified[0]) if verified else None
    if verified is None or key is None:
        raise Unauthorized("this sign-in link is not valid: ask for a new one")
    forget_after = now + timedelta(seconds=sessions.LINK_LIFETIME_SECONDS + 3600)
    if not stores.links.spend(f"signin:{verified[1]}", now=now, forget_after=forget_after):
        raise Unauthorized("this sign-in link has been used: ask for a new one")
    return _session(key.shown(), key.secret_hash)


def sign_in_email(key_name: str, link: str) -> tuple[str, str]:
    minutes = sessions.LINK_LIFETIME_SECONDS // 60
    text = (
        f"Follow this link within {minutes} minutes to sign in to Vigil as {key_name}:\n\n{link}\n\n"
        "It works once. If you did not ask to sign in, ignore this email."
    )
    html = (
        f"<p>Follow this link within {minutes} minutes to sign in to Vigil as {escape(key_name)}:</p>"
        f'<p><a href="{escape(link)}">Sign in to Vigil</a></p>'
        "<p>It works once. If you did not ask to sign in, ignore this email.</p>"
    )
    return text, html
