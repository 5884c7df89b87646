"""Typed domain errors. They are mapped to HTTP statuses once, in the API adapter."""

from __future__ import annotations


class VigilError(Exception):
    """Base class: every error a caller may see has a code and a message."""

    code = "error"

    def __init__(self, message: str, *, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(VigilError):
    """Bad input from a caller (400). `field` names the offending field path."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", details=[{"field": field, "message": message}])
        self.field = field


class Unauthorized(VigilError):
    code = "unauthorized"


class NotFound(VigilError):
    code = "not_found"


class Conflict(VigilError):
    code = "conflict"


class InvalidTransition(VigilError):
    code = "invalid_transition"


class PayloadTooLarge(VigilError):
    code = "payload_too_large"


class RetryLater(VigilError):
    """Refused for now: the caller retries after `retry_after` seconds (the Retry-After header)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    code = "rate_limited"


class UpstreamUnavailable(VigilError):
    """Something Vigil must reach did not answer; nothing was stored and the caller may retry."""

    code = "upstream_unavailable"


class Throttled(RetryLater):
    """AWS throttled Vigil or did not answer; what was stored is idempotent, so a retry finishes it."""

    code = "retry"

    def __init__(self, message: str = "temporarily unavailable; retry", *, retry_after: int = 1) -> None:
        super().__init__(message, retry_after=retry_after)
