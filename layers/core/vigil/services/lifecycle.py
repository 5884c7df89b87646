"""State changes with their consequences: the ladder stops on acknowledge and resolve,
restarts on reopen, and a resolved incident frees its correlation window."""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo
from vigil.domain.incidents import Status
from vigil.observability import count
from vigil.services import escalation, incidents

STOPS_LADDER = frozenset({Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED})


def transition(
    incident_id: str, requested: Status, *, actor: str, reason: str = "", expected_version: int | None = None
) -> dict[str, Any]:
    record, previous = incidents.change_status(
        incident_id, requested, actor=actor, reason=reason, expected_version=expected_version
    )
    if requested in STOPS_LADDER:
        escalation.stop_ladder(record, requested.value)
    if requested is Status.ACKNOWLEDGED:
        count("IncidentsAcknowledged")
    if requested in (Status.RESOLVED, Status.CLOSED):
        _release_correlation(record)
    if requested is Status.OPEN and previous is Status.RESOLVED:
        run = int(record.get("ladder_runs", 0)) + 1
        incidents.update_if_exists(incident_id, "SET ladder_runs = :r", {":r": run})
        escalation.start_ladder(incident_id, run=run)
        incidents.add_timeline(
            incident_id, "escalation", "reopened: the escalation ladder restarts", actor=actor
        )
    return incidents.get_record(incident_id)


def _release_correlation(incident: dict[str, Any]) -> None:
    pointer = incident.get("correlation_pointer")
    if pointer:
        dynamo.delete(
            pointer, "POINTER", condition="incident_id = :id", values={":id": incident["incident_id"]}
        )
