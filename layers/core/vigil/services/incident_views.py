"""Read models of incidents (read-only): the detail page."""

from __future__ import annotations

from typing import Any

from vigil.adapters import stores
from vigil.domain.clock import utcnow
from vigil.domain.incidents import StoredIncident
from vigil.domain.playbooks import progress_view
from vigil.services import incidents


def detail(incident_id: str) -> dict[str, Any]:
    """The incident with its alerts, timeline, ladder state (never the task token) and playbook
    progress (never the steps' URLs). Two reads: the incident's partition (the incident and its
    timeline) and its alerts."""
    record, entries = stores.incidents.with_entries(incident_id)
    return detail_of(record, incidents.timeline_of(record, [incidents.public_entry(e) for e in entries]))


def detail_of(record: StoredIncident, timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """The detail of an incident whose record and whole timeline the caller has."""
    playbook = record.playbook
    return {
        **record.stored(),
        "alerts": [alert.stored() for alert in stores.alerts.of_incident(record.incident_id)],
        "timeline": timeline,
        "escalation": record.escalation.model_dump(exclude_unset=True, exclude={"task_token"})
        if record.escalation
        else {},
        "playbook": progress_view(playbook, utcnow()).model_dump() if playbook else None,
    }
