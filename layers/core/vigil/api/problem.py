"""The one mapping from typed errors to HTTP statuses and the JSON error body.
Free of the Powertools resolver, so that the lean ingest function can use it too."""

from __future__ import annotations

from typing import Any

from vigil.domain import errors

STATUS_BY_ERROR: dict[type[errors.VigilError], int] = {
    errors.InvalidInput: 400,
    errors.Unauthorized: 401,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.InvalidTransition: 422,
    errors.RateLimited: 429,
    errors.UpstreamUnavailable: 502,
    errors.Throttled: 503,
}


def body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def of(error: errors.VigilError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, extra headers) for a typed error."""
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, errors.RetryLater) else {}
    return STATUS_BY_ERROR.get(type(error), 400), body(error.code, error.message, error.details), headers


def field_path(location: tuple[Any, ...] | list[Any]) -> str:
    """("body", "alerts", 0, "labels") -> "body.alerts[0].labels"."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
