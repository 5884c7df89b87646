"""Key strings shared by two stores: alerts are indexed under their incident's partition."""

from __future__ import annotations

from typing import Any

STORAGE_KEYS = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"})


def incident_pk(incident_id: str) -> str:
    return f"INCIDENT#{incident_id}"


def without_keys(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in STORAGE_KEYS}
