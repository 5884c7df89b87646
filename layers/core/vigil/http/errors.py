"""Every error leaves as JSON {"error": {"code", "message", "details"}} with the right status."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from vigil.domain import errors
from vigil.observability import logger

STATUS_BY_ERROR: dict[type[errors.VigilError], int] = {
    errors.InvalidInput: 400,
    errors.Unauthorized: 401,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.InvalidTransition: 422,
    errors.RateLimited: 429,
    errors.UpstreamUnavailable: 502,
}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response[str]:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def field_path(location: tuple[Any, ...] | list[Any]) -> str:
    """("body", "alerts", 0, "labels") -> "body.alerts[0].labels"."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def register(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(errors.VigilError)
    def vigil_error(error: errors.VigilError) -> Response[str]:
        status = STATUS_BY_ERROR.get(type(error), 400)
        response = error_response(status, error.code, error.message, error.details)
        if isinstance(error, errors.RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[str]:
        details = [
            {"field": field_path(item.get("loc", ())), "message": str(item.get("msg", "invalid"))}
            for item in error.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details) or "invalid request"
        return error_response(400, "invalid_input", message, details)

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        return error_response(404, "not_found", "no such route")

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(500, "internal", "internal error; it has been logged")
