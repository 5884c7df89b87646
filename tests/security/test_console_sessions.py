"""Console sessions: the cookie is HttpOnly and SameSite=Strict, changes need the session's
CSRF token, and a session ends with its key, its expiry or sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vigil.domain import sessions

from tests.helpers.client import ApiClient

INC = "/api/incident_response"


def _sign_in(api: ApiClient, key: str) -> tuple[str, str]:
    reply = api.post("/api/sign-in", {"api_key": key}, key=False)
    assert reply.status == 200, reply.body
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    return cookie.split(";", 1)[0], reply.body["csrf_token"]


def test_a_change_needs_the_sessions_csrf_token(api: ApiClient, runtime: Any) -> None:
    cookie, csrf = _sign_in(api, runtime.api_key)
    body = {"title": "csrf probe", "severity": "low"}
    assert api.get(INC, key=False, headers={"Cookie": cookie}).status == 200
    missing = api.post(INC, body, key=False, headers={"Cookie": cookie})
    assert missing.status == 403 and missing.body["error"]["code"] == "forbidden"
    wrong = api.post(INC, body, key=False, headers={"Cookie": cookie, "X-CSRF-Token": "0" * 64})
    assert wrong.status == 403
    other_cookie, other_csrf = _sign_in(api, runtime.api_key)
    stolen = api.post(INC, body, key=False, headers={"Cookie": cookie, "X-CSRF-Token": other_csrf})
    assert stolen.status == 403 and other_cookie != cookie
    made = api.post(INC, body, key=False, headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert made.status == 201, made.body


def test_a_session_ends_with_its_key(api: ApiClient) -> None:
    created = api.post("/api/keys", {"name": "console user"}).body
    cookie, _ = _sign_in(api, created["secret"])
    assert api.get("/api/session", key=False, headers={"Cookie": cookie}).status == 200
    assert api.call("DELETE", f"/api/keys/{created['key_id']}").status == 200
    assert api.get("/api/session", key=False, headers={"Cookie": cookie}).status == 401


def test_forged_tampered_and_expired_cookies_are_signed_out(api: ApiClient, runtime: Any) -> None:
    cookie, _ = _sign_in(api, runtime.api_key)
    token = cookie.split("=", 1)[1]
    payload, _, mac = token.partition(".")
    for bad in (f"{payload}.{'0' * 64}", f"{payload}x.{mac}", "not-a-token", ""):
        reply = api.get(INC, key=False, headers={"Cookie": f"vigil_session={bad}"})
        assert reply.status == 401, bad
    keys = [b"k1"]
    expired = sessions.issue("h", datetime.now(UTC) - timedelta(seconds=1), keys[0])
    assert sessions.verified_key_hash(expired, keys, datetime.now(UTC)) is None
    fresh = sessions.issue("h", datetime.now(UTC) + timedelta(hours=1), keys[0])
    assert sessions.verified_key_hash(fresh, keys, datetime.now(UTC)) == "h"
    assert sessions.verified_key_hash(fresh, [b"another key"], datetime.now(UTC)) is None


def test_a_wrong_key_does_not_sign_in(api: ApiClient) -> None:
    reply = api.post("/api/sign-in", {"api_key": "vgk_not_a_key"}, key=False)
    assert reply.status == 401 and "Set-Cookie" not in reply.headers


def test_sign_out_clears_the_cookie(api: ApiClient, runtime: Any) -> None:
    cookie, csrf = _sign_in(api, runtime.api_key)
    reply = api.post("/api/sign-out", key=False, headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert reply.status == 200 and "Max-Age=0" in reply.headers["Set-Cookie"]
