"""Console sessions: sign in with an API key (a cookie comes back), see the session, sign out."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from vigil.domain import sessions as session_rules
from vigil.domain.model import Model
from vigil.http.auth import actor_key, header
from vigil.http.errors import responses_for
from vigil.services import sessions

router = APIGatewayRouter()
PUBLIC_PATHS = {"/api/sign-in"}


class SignInIn(Model):
    api_key: str = Field(min_length=1, max_length=200)


class SignedOut(Model):
    signed_out: bool = True


class SessionOut(Model):
    key_id: str
    name: str
    csrf_token: str
    expires_at: str | None = None


@router.post(
    "/api/sign-in",
    tags=["system"],
    summary="Console sign-in: an API key for a session cookie (HttpOnly, SameSite=Strict)",
    responses=responses_for(401, public=True),
)
def sign_in(body: SignInIn) -> Response[SessionOut]:
    signed = sessions.sign_in(body.api_key)
    out = SessionOut(
        key_id=signed.key["key_id"],
        name=signed.key["name"],
        csrf_token=signed.csrf_token,
        expires_at=signed.expires_at,
    )
    cookie = session_rules.set_cookie(signed.token, secure=_https())
    return Response(200, content_type="application/json", body=out, headers={"Set-Cookie": cookie})


@router.get(
    "/api/session",
    tags=["system"],
    summary="The console's session: its key and CSRF token",
    responses=responses_for(),
)
def current() -> SessionOut:
    key = actor_key(router)
    token = sessions.current(_header("Cookie"))
    return SessionOut(key_id=key["key_id"], name=key["name"], **token)


@router.post(
    "/api/sign-out",
    tags=["system"],
    summary="End the console's session (the cookie is cleared)",
    responses=responses_for(403),
)
def sign_out() -> Response[SignedOut]:
    cleared = session_rules.set_cookie("", secure=_https(), max_age=0)
    return Response(200, content_type="application/json", body=SignedOut(), headers={"Set-Cookie": cleared})


def _https() -> bool:
    return _header("X-Forwarded-Proto") == "https"


def _header(name: str) -> str | None:
    return header(router.current_event.raw_event, name)
