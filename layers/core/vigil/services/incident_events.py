"""Every incident change is published for users' own automation. Publishing is best effort:
the change is already stored, so a failed publish is logged and counted, never raised."""

from __future__ import annotations

from typing import Any

from vigil.adapters import events
from vigil.domain.clock import iso, utcnow
from vigil.domain.incidents import EVENT_FIELDS, StoredIncident
from vigil.observability import count, logger

SCHEMA = "vigil.incident-event.v1"


def publish(
    kind: str, incident: StoredIncident, *, actor: str = "system", data: dict[str, Any] | None = None
) -> None:
    detail = {
        "schema": SCHEMA,
        "kind": kind,
        "at": iso(utcnow()),
        "actor": actor,
        "incident": incident.model_dump(include=set(EVENT_FIELDS)),
        "data": data or {},
    }
    try:
        events.put_event(f"Vigil Incident {kind.replace('_', ' ').title()}", detail)
    except Exception:
        logger.exception("incident event not published", extra={"incident_id": incident.incident_id})
        count("EventsNotPublished")
