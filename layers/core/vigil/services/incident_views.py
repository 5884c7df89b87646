"""Read models of incidents (read-only): the detail page."""

from __future__ import annotations

from typing import Any

from vigil.adapters import stores
from vigil.domain.clock import utcnow
from vigil.domain.playbooks import progress_view
from vigil.services import incidents


def detail(incident_id: str) -> dict[str, Any]:
    """The incident with its alerts, timeline, ladder state (never the task token) and playbook
    progress (never the steps' URLs)."""
    record = incidents.get_record(incident_id)
    playbook = record.get("playbook")
    return {
        **record,
        "alerts": stores.alerts.of_incident(incident_id),
        "timeline": incidents.timeline(incident_id, record),
        "escalation": {k: v for k, v in (record.get("escalation") or {}).items() if k != "task_token"},
        "playbook": progress_view(playbook, utcnow()).model_dump() if playbook else None,
    }
