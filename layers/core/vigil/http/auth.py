"""Bearer API key check for the management API (every route but the public ones).

It runs before routing and request validation, so that a caller without a valid key learns
nothing: not whether a route exists, nor what its body should look like.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.domain.errors import Unauthorized
from vigil.http import problem
from vigil.services import keys

PUBLIC_ROUTES = {"/api/health", "/api/slack/actions", "/api/actions"}


def _header(event: dict[str, Any], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)


def resolve_authenticated(app: APIGatewayRestResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Refuse a request without a valid key with 401, else resolve it with the key in context."""
    if (event.get("path") or "").rstrip("/") not in PUBLIC_ROUTES:
        try:
            app.append_context(api_key=keys.authenticate(_header(event, "Authorization")))
        except Unauthorized as error:
            body = problem.body(error.code, error.message)
            return {
                "statusCode": 401,
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps(body),
                "isBase64Encoded": False,
            }
    return app.resolve(event, context)


def actor(router: APIGatewayRouter) -> str:
    """Who is acting, for the timeline: the name of the API key of this request."""
    key = router.context.get("api_key") or {}
    return f"key:{key.get('name', 'unknown')}"
