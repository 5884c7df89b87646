"""Silences, kept until a week after they end (TTL)."""

from __future__ import annotations

from datetime import timedelta

from vigil.adapters import dynamo
from vigil.domain.silences import Silence

PK = "SILENCE"
KEPT_AFTER_END = timedelta(days=7)


def put(silence: Silence) -> None:
    dynamo.put(
        {
            "pk": PK,
            "sk": silence.silence_id,
            "silence": silence.model_dump(mode="json"),
            "expires_at": expires_at(silence),
        }
    )


def all_stored() -> list[Silence]:
    return [Silence.model_validate(item["silence"]) for item in dynamo.query_all(PK)]


def find(silence_id: str) -> Silence | None:
    item = dynamo.get(PK, silence_id)
    return Silence.model_validate(item["silence"]) if item else None


def expires_at(silence: Silence) -> int:
    """When DynamoDB deletes the silence's item (TTL): a week after it ends."""
    return int((silence.ends_at + KEPT_AFTER_END).timestamp())
