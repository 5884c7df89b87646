"""Calendar feed tokens: stored by the hash of their secret (`CALFEED#<sha256>`), with one
pointer per feed (`CALSCOPE#<scope>`) to the current token, so that a new token ends the old."""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo

SK = "FEED"


def _token_pk(secret_hash: str) -> str:
    return f"CALFEED#{secret_hash}"


def _scope_pk(scope: str) -> str:
    return f"CALSCOPE#{scope}"


def replace(scope: str, secret_hash: str, *, at: str) -> None:
    """Make `secret_hash` the feed's token, and the previous one (if any) invalid, at once."""
    current = dynamo.get(_scope_pk(scope), SK, consistent=True)
    operations: list[dict[str, Any]] = [
        {"Put": {"Item": {"pk": _token_pk(secret_hash), "sk": SK, "scope": scope, "created_at": at}}},
        {"Put": {"Item": {"pk": _scope_pk(scope), "sk": SK, "secret_hash": secret_hash}}},
    ]
    if current:
        operations.append({"Delete": {"Key": {"pk": _token_pk(current["secret_hash"]), "sk": SK}}})
    dynamo.transact(operations)


def scope_of(secret_hash: str) -> str | None:
    """What the token is the feed of ("schedule:<id>" or "user:<id>"), or None."""
    item = dynamo.get(_token_pk(secret_hash), SK)
    return str(item["scope"]) if item else None
