"""Console sessions: the cookie is HttpOnly and SameSite=Strict, changes need the session's
CSRF token, and a session ends with its key, its expiry or sign-out."""

from __future__ import annotations

import re
import uuid
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


def _link_token(api: ApiClient, email: str) -> str:
    """Ask for a magic link and read its token out of the email the stack sent."""
    reply = api.post("/api/sign-in/link", {"email": email}, key=False)
    assert reply.status == 202, reply.body
    emails = [o for o in api.get("/_local/outbox").body["items"] if o["target"] == email]
    assert emails and emails[-1]["subject"] == "Sign in to Vigil"
    found = re.search(r"#/signin/link/(\S+)", emails[-1]["body"]["Text"])
    assert found, emails[-1]
    return found.group(1)


def _person_key(api: ApiClient, email: str) -> dict[str, Any]:
    reply = api.post("/api/keys", {"name": f"key of {email}", "scope": "responder", "email": email})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_a_magic_link_signs_in_once(api: ApiClient) -> None:
    email = f"link-{uuid.uuid4().hex[:8]}@example.com"
    key = _person_key(api, email)
    token = _link_token(api, email)
    first = api.post("/api/sign-in/redeem", {"token": token}, key=False)
    assert first.status == 200 and first.body["key_id"] == key["key_id"]
    cookie = first.headers["Set-Cookie"].split(";", 1)[0]
    session = api.get("/api/session", key=False, headers={"Cookie": cookie})
    assert session.status == 200 and session.body["name"] == f"key of {email}"
    reused = api.post("/api/sign-in/redeem", {"token": token}, key=False)
    assert reused.status == 401 and "Set-Cookie" not in reused.headers


def test_tampered_expired_and_revoked_links_sign_nobody_in(api: ApiClient) -> None:
    email = f"bad-{uuid.uuid4().hex[:8]}@example.com"
    key = _person_key(api, email)
    token = _link_token(api, email)
    payload, _, mac = token.partition(".")
    current = str(api.get("/_local/secrets").body["webhook_signing_key"]).encode()
    past = datetime.now(UTC) - timedelta(seconds=1)
    expired = sessions.sign_link(key["key_id"], past, current, nonce="expired-nonce")
    someone_else = sessions.sign_link(
        "key_of_someone_else", datetime.now(UTC) + timedelta(minutes=5), current, "n"
    )
    for bad in (f"{payload}.{'0' * 64}", f"{payload}x.{mac}", "not-a-token", "é.é", expired, someone_else):
        reply = api.post("/api/sign-in/redeem", {"token": bad}, key=False)
        assert reply.status == 401 and "Set-Cookie" not in reply.headers, bad
    assert api.call("DELETE", f"/api/keys/{key['key_id']}").status == 200
    revoked = api.post("/api/sign-in/redeem", {"token": token}, key=False)
    assert revoked.status == 401 and "Set-Cookie" not in revoked.headers


def test_asking_for_a_link_reveals_nothing(api: ApiClient) -> None:
    nobody = api.post("/api/sign-in/link", {"email": "nobody-holds-a-key@example.com"}, key=False)
    assert nobody.status == 202
    assert "nobody-holds-a-key@example.com" not in str(api.get("/_local/outbox").body["items"])
    malformed = api.post("/api/sign-in/link", {"email": "not an address"}, key=False)
    assert malformed.status == 400 and malformed.body["error"]["details"][0]["field"] == "body.email"


def test_links_cannot_flood_a_mailbox(api: ApiClient) -> None:
    email = f"flood-{uuid.uuid4().hex[:8]}@example.com"
    _person_key(api, email)
    for _ in range(5):
        assert api.post("/api/sign-in/link", {"email": email}, key=False).status == 202
    sent = [o for o in api.get("/_local/outbox").body["items"] if o["target"] == email]
    assert 1 <= len(sent) <= 2  # one a minute (two if the minute turned during the loop)


def test_a_persons_keys_get_links_at_the_persons_address(api: ApiClient) -> None:
    user_id = f"link{uuid.uuid4().hex[:6]}"
    email = f"{user_id}@example.com"
    person = {"name": "Link Person", "email": email}
    assert api.put(f"/api/users/{user_id}", person).status == 200
    key = api.post(f"/api/users/{user_id}/keys", {"name": "phone"}).body
    redeemed = api.post("/api/sign-in/redeem", {"token": _link_token(api, email)}, key=False)
    assert redeemed.status == 200 and redeemed.body["key_id"] == key["key_id"]
