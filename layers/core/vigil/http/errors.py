"""Every error leaves as JSON {"error": {"code", "message", "details"}} with the right status."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from vigil.domain import errors
from vigil.http import problem
from vigil.http.problem import field_path
from vigil.observability import logger


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(problem.body(code, message, details)),
    )


def register(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(errors.VigilError)
    def vigil_error(error: errors.VigilError) -> Response[str]:
        status, payload, headers = problem.of(error)
        return Response(
            status_code=status, content_type="application/json", body=json.dumps(payload), headers=headers
        )

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
