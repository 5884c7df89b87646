"""Read models of incidents: the detail page, and the incident of an alert."""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo
from vigil.domain.alerts import NormalizedAlert
from vigil.domain.clock import utcnow
from vigil.domain.errors import NotFound
from vigil.domain.playbooks import progress_view
from vigil.services import escalation, incidents, ingest


def alerts_of(incident_id: str) -> list[dict[str, Any]]:
    return list(dynamo.query_all(incidents.incident_pk(incident_id), index="gsi1", sk_prefix="ALERT#"))


def detail(incident_id: str) -> dict[str, Any]:
    """The incident with its alerts, timeline, ladder state (never the task token) and playbook
    progress (never the steps' URLs)."""
    record = incidents.get_record(incident_id)
    playbook = record.get("playbook")
    return {
        **record,
        "alerts": alerts_of(incident_id),
        "timeline": incidents.timeline(incident_id, record),
        "escalation": {k: v for k, v in (record.get("escalation") or {}).items() if k != "task_token"},
        "playbook": progress_view(playbook, utcnow()).model_dump() if playbook else None,
    }


def incident_for_alert(alert_id: str, actor: str) -> str:
    """The alert's incident; opened now (idempotently) if the alert never paged."""
    alert = dynamo.get(ingest.alert_pk(alert_id), "ALERT", consistent=True)
    if not alert:
        raise NotFound(f"no alert {alert_id}")
    if alert.get("incident_id"):
        return str(alert["incident_id"])
    episode = alert.get("episode_started") or alert["first_seen"]
    incident_id = incidents.incident_id_for(alert_id, episode)
    normalized = NormalizedAlert.model_validate({**alert, "status": "firing"})
    record = incidents.record_from_alert(normalized, incident_id, utcnow())
    record["opened_by"] = actor
    if incidents.put_new_incident(record):
        escalation.start_ladder(incident_id)
    dynamo.update(
        ingest.alert_pk(alert_id),
        "ALERT",
        "SET gsi1pk = :pk, gsi1sk = :sk",
        {":pk": incidents.incident_pk(incident_id), ":sk": f"ALERT#{episode}#{alert_id}"},
    )
    return incident_id
