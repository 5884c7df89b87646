"""Incidents: the lifecycle table, assignment rules and the incident model."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from vigil.domain.alerts import Severity
from vigil.domain.errors import InvalidTransition
from vigil.domain.model import Model


class Status(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Forward skips are allowed; resolved -> open is a reopen; closed is final.
ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.INVESTIGATING, Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED}),
    Status.INVESTIGATING: frozenset({Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED}),
    # acknowledged -> open: the acknowledgement expired, or the responder handed it back.
    Status.ACKNOWLEDGED: frozenset({Status.OPEN, Status.INVESTIGATING, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# States in which the escalation ladder keeps paging.
PAGING_STATES = frozenset({Status.OPEN, Status.INVESTIGATING})
# Timestamp set when an incident enters a state (for MTTA and MTTR).
TIMESTAMP_FOR: dict[Status, str] = {
    Status.ACKNOWLEDGED: "acknowledged_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
}


def check_transition(current: Status, requested: Status) -> None:
    if requested not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(
            f"cannot move an incident from {current.value} to {requested.value}",
            details=[{"field": "status", "message": f"current={current.value} requested={requested.value}"}],
        )


class AssignmentRules(Model):
    """Who an incident goes to: severity overrides first, then category, then the default."""

    by_severity: dict[str, str] = Field(
        default_factory=lambda: {
            "emergency": "emergency_team",
            "critical": "emergency_team",
            "high": "on_call_engineer",
        }
    )
    by_category: dict[str, str] = Field(
        default_factory=lambda: {
            "security": "security_team",
            "performance": "performance_team",
            "database": "database_team",
            "network": "network_team",
            "system": "platform_team",
        }
    )
    default_team: str = "platform_team"

    def assign(self, severity: str, category: str | None) -> str:
        if severity in self.by_severity:
            return self.by_severity[severity]
        if category and category in self.by_category:
            return self.by_category[category]
        return self.default_team


DEFAULT_TEAMS = (
    "security_team",
    "performance_team",
    "database_team",
    "network_team",
    "platform_team",
    "emergency_team",
    "on_call_engineer",
    "senior_engineers",
    "support_team",
)


class IncidentIn(Model):
    """An incident opened by hand."""

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10_000)
    severity: Severity = Severity.HIGH
    category: str | None = Field(default=None, max_length=50)
    assigned_team: str | None = Field(default=None, max_length=100)
    labels: dict[str, str] = Field(default_factory=dict, max_length=50)


# An incident as callers see it (StoredIncident below is what the store keeps).
class Incident(Model):
    incident_id: str
    title: str
    description: str = ""
    severity: str
    category: str | None = None
    status: str
    assigned_team: str | None = None
    source: str | None = None
    labels: dict[str, str] = {}
    created_at: str
    updated_at: str
    acknowledged_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    alert_count: int = 0
    version: int


class LadderState(Model):
    """Where an incident's escalation ladder is: its state, the run's execution, and, while it
    waits on a rung, the task token a status change answers. Only the fields it was given are
    stored (`stored()`), so a state moved on keeps what it does not change."""

    state: str | None = None  # waiting, acknowledged, resolved, stopped, snoozed, exhausted...
    execution_arn: str | None = None
    task_token: str | None = None
    rung: int | None = None
    round: int | None = None
    paged_at: str | None = None
    next_escalation_at: str | None = None
    ack_timeout_seconds: int | None = None  # as the waiting rung was paged with

    def moved_to(self, state: str) -> LadderState:
        """The ladder in `state` with no wait: no token to answer, no next escalation."""
        return self.model_copy(update={"state": state, "task_token": None, "next_escalation_at": None})

    def stored(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class StoredIncident(Incident):
    """An incident as the incidents store keeps it: what callers see, and the state the
    services keep on it (written beside the versioned fields, see adapters/stores/incidents.py)."""

    opened_by: str | None = None  # the actor: a person, or `alert:<source>`
    reopened_at: str | None = None
    merged_into: str | None = None
    integration_id: str | None = None  # opened by an alert: where PagerDuty Change Events land
    service_id: str | None = None  # its integration's service, whose policy pages it
    correlation_pointer: str | None = None  # the correlation window it holds, freed on resolve
    firing_alerts: int | None = None  # its alerts still firing; None: opened by hand, never counted
    ladder_runs: int = 0  # the ladder's current run (0, then one more each time it is moved)
    # The ladder's state: empty from the start, None on incidents stored before it was.
    escalation: LadderState | None = None
    playbook: dict[str, Any] | None = None  # the attached playbook's progress (domain/playbooks.py)

    @property
    def waiting_token(self) -> str | None:
        """The task token of the rung the ladder waits on, if it waits."""
        return self.escalation.task_token if self.escalation else None

    def shown(self) -> Incident:
        """The incident as callers see it."""
        return Incident.model_validate(self.model_dump(include=set(Incident.model_fields)))

    def stored(self) -> dict[str, Any]:
        """The fields as stored: those it was given or read with (defaults are not written)."""
        return self.model_dump(exclude_unset=True)


def hypothetical(**facts: Any) -> StoredIncident:
    """An incident as it would open, for a simulation or a replay: no id, no times."""
    return StoredIncident.model_validate(
        {"incident_id": "", "status": Status.OPEN.value, "created_at": "", "updated_at": "", "version": 0}
        | facts
    )


def _fields_of_incident(*, leaving_out: set[str]) -> tuple[str, ...]:
    return tuple(name for name in Incident.model_fields if name not in leaving_out)


# What an incident event (vigil.incident-event.v1), a page and a playbook step's webhook carry.
EVENT_FIELDS = _fields_of_incident(leaving_out={"description", "labels", "alert_count"})
PAGE_FIELDS = _fields_of_incident(
    leaving_out={
        "labels",
        "updated_at",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "alert_count",
        "version",
    }
)
STEP_EVENT_FIELDS = _fields_of_incident(
    leaving_out={"acknowledged_at", "resolved_at", "closed_at", "alert_count", "version"}
)


def condition_context(incident: Incident) -> dict[str, Any]:
    """The names escalation conditions may use, taken from an incident."""
    return {
        "severity": incident.severity,
        "status": incident.status,
        "category": incident.category,
        "title": incident.title,
        "source": incident.source,
        "team": incident.assigned_team,
        "labels": incident.labels or {},
    }
