"""Every error leaves as JSON {"error": {"code", "message", "details"}} with the right status."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from vigil.api import problem
from vigil.api.models import ErrorResponse
from vigil.api.problem import field_path
from vigil.domain import errors
from vigil.observability import logger

ERROR_STATUSES = {
    400: "Invalid input; `details` names each offending field",
    401: "No valid API key: `Authorization: Bearer <key>`",
    403: "Forbidden: the key's scope does not allow this, or a console change came without its CSRF token",
    404: "No such resource",
    409: "Conflict: it changed meanwhile, already exists or is read-only; reload and retry",
    413: "The body is too large",
    422: "Not allowed in the resource's current state",
    429: "Rate limited: retry after Retry-After seconds",
    502: "Something Vigil must reach did not answer; nothing was stored: retry",
    503: "AWS throttled Vigil before anything was stored: retry after Retry-After seconds",
}
PUBLIC_401 = "The token, signature or link is not valid"
HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}


def responses_for(
    *statuses: int, ok: int | tuple[int, ...] = 200, public: bool = False, html: bool = False
) -> dict[int, OpenAPIResponse]:
    """A route's documented responses (`responses=` of its decorator): its success status(es)
    with the route's return model, then every error it can answer, as an ErrorResponse: 400
    always (a malformed request), 401 unless the route is public (a public route that checks a
    token, signature or link lists its 401), and the given statuses. `html` routes answer people
    with pages: their answers are text/html, but a malformed request gets the JSON error too."""
    documented: dict[int, OpenAPIResponse] = {
        code: {"description": "Successful Response", **({"content": HTML} if html else {})}
        for code in ((ok,) if isinstance(ok, int) else ok)
    }
    for code in sorted({400, *statuses} | (set() if public else {401})):
        json_error: dict[str, Any] = {"application/json": {"model": ErrorResponse}}
        content = {**json_error, **HTML} if html and code == 400 else HTML if html else json_error
        description = PUBLIC_401 if public and code == 401 else ERROR_STATUSES[code]
        documented[code] = {"description": description, "content": content}
        if code in (429, 503):
            documented[code]["headers"] = {
                "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
            }
    return documented


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
        details = [_detail(item) for item in error.errors()]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details) or "invalid request"
        return error_response(400, "invalid_input", message, details)

    @app.exception_handler(UnicodeDecodeError)
    def undecodable(error: UnicodeDecodeError) -> Response[str]:
        """A base64-encoded body that is not UTF-8 fails in Powertools' `decoded_body`: the caller's
        mistake. Any other UnicodeDecodeError is a bug, and is treated as one."""
        if not _body_is_undecodable(app.current_event.body, app.current_event.is_base64_encoded):
            return unexpected(error)
        return vigil_error(errors.InvalidInput("body", "not UTF-8 text"))

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        return error_response(404, "not_found", "no such route")

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(500, "internal", "internal error; it has been logged")


def _detail(item: dict[str, Any]) -> dict[str, str]:
    if item.get("type") == "json_invalid":  # Powertools' loc is ("body", <position>), its msg generic
        reason = (item.get("ctx") or {}).get("error", "")
        return {"field": "body", "message": f"not valid JSON ({reason})" if reason else "not valid JSON"}
    return {"field": field_path(item.get("loc", ())), "message": str(item.get("msg", "invalid"))}


def _body_is_undecodable(body: str | None, is_base64: bool | None) -> bool:
    if not (body and is_base64):
        return False
    try:
        base64.b64decode(body).decode("utf-8")
    except UnicodeDecodeError:
        return True
    except ValueError:
        return False
    return False
