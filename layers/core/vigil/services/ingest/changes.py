"""PagerDuty Change Events: a change (a deploy, a configuration push) pages no one; it goes on
the timelines of the open incidents of its integration as a "recent change", as PagerDuty
shows recent changes beside an incident."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from vigil.adapters import stores
from vigil.domain.clock import iso
from vigil.domain.incidents import PAGING_STATES, Status
from vigil.domain.integrations import Integration
from vigil.domain.parsers.pagerduty import ChangeEvent
from vigil.observability import count
from vigil.services.timeline import add_timeline

# Open incidents older than this are not looked at: a change is news for recent incidents.
LOOKBACK = timedelta(days=7)
OPEN = frozenset(s.value for s in (*PAGING_STATES, Status.ACKNOWLEDGED))


def record_change(integration: Integration, change: ChangeEvent, now: datetime) -> list[str]:
    """Put the change on each open incident of the integration; the ids of those incidents."""
    count("ChangeEventsReceived")
    window = (iso(now - LOOKBACK), iso(now) + "\uffff")
    touched = [
        incident.incident_id
        for incident in stores.incidents.created_between(window)
        if incident.status in OPEN and incident.integration_id == integration.integration_id
    ]
    data = change.model_dump()
    # A retried change event (same content) is one entry.
    entry_id = "change-" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]
    for incident_id in touched:
        add_timeline(
            incident_id,
            "change",
            f"recent change: {change.summary}",
            actor=f"integration:{integration.name}",
            data=data,
            entry_id=entry_id,
        )
    return touched
