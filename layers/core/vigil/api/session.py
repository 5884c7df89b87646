"""Console sessions: sign in with an API key (a cookie comes back), see the session, sign out."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from vigil.api.auth import actor_key, header
from vigil.api.errors import responses_for
from vigil.config import settings
from vigil.domain import sessions as session_rules
from vigil.domain.model import Model
from vigil.domain.teams import EMAIL
from vigil.services import sessions

router = APIGatewayRouter()


class SignInIn(Model):
    api_key: str = Field(min_length=1, max_length=200)


class LinkIn(Model):
    email: str = Field(min_length=3, max_length=254, pattern=EMAIL.pattern)


class LinkRequested(Model):
    message: str = "if a key is held at that address, a sign-in link is on its way (valid 15 minutes, once)"


class RedeemIn(Model):
    token: str = Field(min_length=1, max_length=1000)


class SignedOut(Model):
    signed_out: bool = True


class SessionOut(Model):
    key_id: str
    name: str
    team: str | None = Field(default=None, description="the key holder's team (the console's assigned to me)")
    csrf_token: str
    expires_at: str | None = None


@router.post(
    "/api/sign-in",
    tags=["system"],
    summary="Console sign-in: an API key for a session cookie (HttpOnly, SameSite=Strict)",
    responses=responses_for(401, public=True),
)
def sign_in(body: SignInIn) -> Response[SessionOut]:
    return _signed_in(sessions.sign_in(body.api_key))


@router.post(
    "/api/sign-in/link",
    tags=["system"],
    summary="Email a magic sign-in link to the holder of a key (the answer never says whether one is)",
    responses=responses_for(409, ok=202, public=True),
)
def request_link(body: LinkIn) -> tuple[LinkRequested, int]:
    sessions.send_link(body.email, settings().public_base_url)
    return LinkRequested(), 202


@router.post(
    "/api/sign-in/redeem",
    tags=["system"],
    summary="Console sign-in with a magic link's token (once; a session cookie comes back)",
    responses=responses_for(401, public=True),
)
def redeem_link(body: RedeemIn) -> Response[SessionOut]:
    return _signed_in(sessions.redeem_link(body.token))


def _signed_in(signed: sessions.SignedIn) -> Response[SessionOut]:
    out = SessionOut(
        key_id=signed.key.key_id,
        name=signed.key.name,
        team=signed.key.team,
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
    return SessionOut(key_id=key.key_id, name=key.name, team=key.team, **token)


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
