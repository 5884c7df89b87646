"""Bearer API key check for the management API (every route but the public ones)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.domain.errors import Unauthorized
from vigil.http.errors import error_response
from vigil.services import keys

PUBLIC_ROUTES = {"/api/health", "/api/slack/actions", "/api/actions"}


def require_api_key(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
    if app.current_event.path.rstrip("/") in PUBLIC_ROUTES:
        return next_middleware(app)
    try:
        app.append_context(
            api_key=keys.authenticate(
                app.current_event.get_header_value("Authorization", case_sensitive=False)
            )
        )
    except Unauthorized as error:
        return error_response(401, error.code, error.message)
    return next_middleware(app)


def actor(router: APIGatewayRouter) -> str:
    """Who is acting, for the timeline: the name of the API key of this request."""
    key = router.context.get("api_key") or {}
    return f"key:{key.get('name', 'unknown')}"
