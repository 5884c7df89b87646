"""Appending to an incident's timeline: every service that records what happened uses this."""

from __future__ import annotations

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
) -> dict[str, Any]:
    """Append an entry and return it. With `entry_id` the write is idempotent (a retried step
    adds it once)."""
    entry = timeline_entry(kind, message, actor=actor, data=data)
    stores.incidents.add_entry(incident_id, entry, entry_id=entry_id)
    return entry


def timeline_entry(
    kind: str, message: str, *, actor: str = "system", data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An entry as it is stored and listed, made now."""
    return {"at": iso(utcnow()), "kind": kind, "actor": actor, "message": message, "data": data or {}}
