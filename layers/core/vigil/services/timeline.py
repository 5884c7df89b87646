"""Appending to an incident's timeline: every service that records what happened uses this."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow


def add_timeline(
    incident_id: str,
    kind: str,
    message: str,
    *,
    actor: str = "system",
    data: dict[str, Any] | None = None,
    entry_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Append an entry (made now, or at `at`) and return it. With `entry_id` the write is
    idempotent (a retried step adds it once)."""
    entry = timeline_entry(kind, message, actor=actor, data=data, at=at)
    stores.incidents.add_entry(incident_id, entry, entry_id=entry_id)
    return entry


def timeline_entry(
    kind: str,
    message: str,
    *,
    actor: str = "system",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """An entry as it is stored and listed, made now (or at `at`)."""
    return {"at": iso(at or utcnow()), "kind": kind, "actor": actor, "message": message, "data": data or {}}
