"""Bearer API key check for the management API (every route but the public ones).

It runs before routing and request validation, so that a caller without a valid key learns
nothing: not whether a route exists, nor what its body should look like.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api import calendars, console, heartbeats, problem
from vigil.api.headers import header
from vigil.domain.access import allows, required_scope
from vigil.domain.api_keys import ApiKey
from vigil.domain.errors import Unauthorized
from vigil.services import keys, sessions

SIGN_IN = {"/api/sign-in", "/api/sign-in/link", "/api/sign-in/redeem"}
PUBLIC_ROUTES = {"/api/health", "/api/slack/actions", "/api/actions", *SIGN_IN, *console.PUBLIC_PATHS}
PUBLIC_PREFIXES = (calendars.FEEDS,)  # a feed's address is its token, checked by its route


def resolve_authenticated(app: APIGatewayRestResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Refuse a request without a valid key or console session (401), or a console change
    without its CSRF token (403); else resolve it with the key in context."""
    if not is_public(event.get("path") or ""):
        try:
            key = _caller(event)
        except Unauthorized as error:
            return _refusal(401, error.code, error.message)
        except sessions.CsrfRefused as error:
            return _refusal(403, "forbidden", str(error))
        needed = required_scope(str(event.get("httpMethod") or "GET"), event.get("path") or "")
        if not allows(key.scope, needed):
            return _refusal(403, "forbidden", f"this key's scope is {key.scope}; this needs {needed}")
        app.append_context(api_key=key)
    return app.resolve(event, context)


def is_public(path: str) -> bool:
    public = (path.rstrip("/") or "/") in PUBLIC_ROUTES or path.startswith(PUBLIC_PREFIXES)
    return public or heartbeats.is_ping(path)


def _caller(event: dict[str, Any]) -> ApiKey:
    """A Bearer key when the request has one (scripts, the CLI), else the console's session."""
    authorization = header(event, "Authorization")
    cookie = header(event, "Cookie")
    if authorization is None and cookie is not None:
        method = str(event.get("httpMethod") or "GET").upper()
        return sessions.authenticate(cookie, method, header(event, "X-CSRF-Token"))
    return keys.authenticate(authorization)


def _refusal(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(problem.body(code, message)),
        "isBase64Encoded": False,
    }


def actor_key(router: APIGatewayRouter) -> ApiKey:
    """The API key this request acts with (a public route has none: Unauthorized)."""
    key: ApiKey | None = router.context.get("api_key")
    if key is None:
        raise Unauthorized("a valid API key is required: Authorization: Bearer <key>")
    return key


def actor(router: APIGatewayRouter) -> str:
    """Who is acting, for the timeline: the person whose key this is, else the key's name."""
    key: ApiKey | None = router.context.get("api_key")
    return key.actor if key is not None else "key:unknown"
