"""The original spec's incident API under /api/incident_response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field, model_validator

from vigil.api.alerting import AlertIn
from vigil.api.auth import actor
from vigil.api.errors import responses_for
from vigil.api.models import (
    ActionIn,
    EscalateIn,
    EscalateIncidentIn,
    Incident,
    IncidentDetail,
    IncidentPage,
    IncidentUpdate,
    MergeIn,
    NoteIn,
    PolicySaved,
    ReassignIn,
    ResponderIn,
    SimulateIn,
    SimulationResult,
    SnoozeIn,
    TimelineEntry,
    TimelinePage,
)
from vigil.domain.errors import InvalidInput
from vigil.domain.escalation import EscalationPolicy
from vigil.domain.incidents import AssignmentRules, IncidentIn, Status, StoredIncident
from vigil.domain.model import Model
from vigil.services import alerting, escalation, incident_views, incidents, responders
from vigil.services.paging import routing

router = APIGatewayRouter()
BASE = "/api/incident_response"


class FromAlertIn(Model):
    """`{alert_id}` of a stored alert, or an alert itself (the fields of POST /api/alerting/send,
    at the top level or under `alert`): it is sent first, then its incident opened."""

    alert_id: str | None = Field(default=None, min_length=1, max_length=100)
    alert: AlertIn | None = None

    @model_validator(mode="before")
    @classmethod
    def _alert_at_top_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and "alert_id" not in data and "alert" not in data:
            return {"alert": data}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> FromAlertIn:
        if (self.alert_id is None) == (self.alert is None):
            raise ValueError("give alert_id, or the alert itself")
        return self


def _detail(incident_id: str) -> IncidentDetail:
    return IncidentDetail.model_validate(incident_views.detail(incident_id))


def _detail_after(changed: tuple[StoredIncident, list[dict[str, Any]]]) -> IncidentDetail:
    """The detail of an incident a status change returned with its timeline (no read of them)."""
    return IncidentDetail.model_validate(incident_views.detail_of(*changed))


@router.get(
    BASE, tags=["incidents"], summary="List incidents, newest first, with filters", responses=responses_for()
)
def list_incidents(
    status: Annotated[Status | None, Query()] = None,
    severity: Annotated[str | None, Query(max_length=20)] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    assigned_team: Annotated[str | None, Query(max_length=100)] = None,
    service_id: Annotated[
        str | None,
        Query(max_length=64, description="its service (/api/services): the one its integration belongs to"),
    ] = None,
    since: Annotated[str | None, Query(max_length=40, description="created at or after (ISO 8601)")] = None,
    until: Annotated[str | None, Query(max_length=40, description="created at or before (ISO 8601)")] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> IncidentPage:
    filters: dict[str, Any] = {
        "status": status.value if status else None,
        "severity": severity,
        "category": category,
        "assigned_team": assigned_team,
        "service_id": service_id,
        "since": since,
        "until": until,
        "text": text,
    }
    items, next_cursor = incidents.list_incidents(filters, limit, cursor)
    return IncidentPage(
        items=[i.shown() for i in items],
        next_cursor=next_cursor,
        counts=incidents.counts_by_status(),
    )


@router.post(BASE, tags=["incidents"], summary="Open an incident by hand", responses=responses_for(ok=201))
def create_incident(body: IncidentIn) -> tuple[IncidentDetail, int]:
    key = router.current_event.get_header_value("Idempotency-Key", case_sensitive=False)
    record = incidents.open_by_hand(body, actor(router), key)
    return _detail(record.incident_id), 201


@router.post(
    f"{BASE}/from-alert",
    tags=["incidents"],
    summary="The incident for an alert (idempotent)",
    responses=responses_for(404),
)
def from_alert(body: FromAlertIn) -> IncidentDetail:
    alert_id = (
        body.alert_id or alerting.send(body.alert.model_dump(mode="json") if body.alert else {})["alert_id"]
    )
    return _detail(incidents.open_for_alert(alert_id, actor(router)))


@router.post(
    f"{BASE}/escalate",
    tags=["escalation"],
    summary="Escalate to the next rung now, or to rung escalation_level (also when acknowledged)",
    responses=responses_for(404, 422),
)
def escalate(body: EscalateIn) -> IncidentDetail:
    responders.escalate(
        body.incident_id, level=body.escalation_level, reason=body.reason, actor=actor(router)
    )
    return _detail(body.incident_id)


@router.get(
    f"{BASE}/assignment-rules",
    tags=["incidents"],
    summary="Who new incidents are assigned to",
    responses=responses_for(),
)
def get_assignment_rules() -> AssignmentRules:
    return routing.load_assignment_rules()


@router.put(
    f"{BASE}/assignment-rules",
    tags=["incidents"],
    summary="Replace the assignment rules",
    responses=responses_for(),
)
def put_assignment_rules(body: AssignmentRules) -> AssignmentRules:
    return routing.save_assignment_rules(body, actor(router))


@router.get(
    f"{BASE}/escalation-rules",
    tags=["escalation"],
    summary="The escalation policy",
    responses=responses_for(),
)
def get_policy() -> EscalationPolicy:
    return escalation.load_policy()


@router.put(
    f"{BASE}/escalation-rules",
    tags=["escalation"],
    summary="Replace the escalation policy; the answer warns of unknown teams and rungs with no channel",
    responses=responses_for(),
)
def put_policy(body: EscalationPolicy) -> PolicySaved:
    saved = escalation.save_policy(body, actor(router))
    return PolicySaved.model_validate({**saved.model_dump(), "warnings": escalation.policy_warnings(saved)})


@router.post(
    f"{BASE}/escalation-rules/simulate",
    tags=["escalation"],
    summary="Who would be paged, through which channels and when, without paging anyone",
    responses=responses_for(404),
)
def simulate(body: SimulateIn) -> SimulationResult:
    incident = body.model_dump(mode="json", exclude_none=True, exclude={"policy_id"})
    return SimulationResult.model_validate(escalation.simulate(incident, body.policy_id))


@router.get(
    f"{BASE}/<incident_id>",
    tags=["incidents"],
    summary="An incident with alerts, timeline, ladder",
    responses=responses_for(404),
)
def get_incident(incident_id: str) -> IncidentDetail:
    return _detail(incident_id)


@router.put(
    f"{BASE}/<incident_id>",
    tags=["incidents"],
    summary="Change status, severity, team, title, description; add a note",
    responses=responses_for(404, 409, 422),
)
def update_incident(incident_id: str, body: IncidentUpdate) -> IncidentDetail:
    who, version = actor(router), _expected_version(body.version)
    details = body.model_dump(
        include={"title", "description", "severity", "assigned_team"}, exclude_none=True, mode="json"
    )
    if details:
        updated = incidents.update_details(incident_id, details, actor=who, expected_version=version)
        version = None if version is None else updated.version
    changed = None
    if body.status:
        changed = incidents.change_status_with_timeline(
            incident_id, body.status, actor=who, reason=body.reason, expected_version=version
        )
    if body.note:
        incidents.add_note(incident_id, body.note, actor=who)
        changed = None  # the note is on the timeline too: read it again
    return _detail_after(changed) if changed else _detail(incident_id)


def _expected_version(from_body: int | None) -> int | None:
    """The version the caller last saw: the body's `version`, or the If-Match header."""
    header = router.current_event.get_header_value("If-Match", case_sensitive=False)
    if from_body is not None or not header:
        return from_body
    try:
        return int(header.strip().strip("W/").strip('"'))
    except ValueError:
        raise InvalidInput("If-Match", "must be the incident's version number") from None


@router.delete(
    f"{BASE}/<incident_id>",
    tags=["incidents"],
    summary="Delete (an unresolved incident only with force=true): its ladder stops; an audit record stays",
    responses=responses_for(404, 409),
)
def delete_incident(
    incident_id: str, force: Annotated[bool, Query(description="delete even if not resolved")] = False
) -> Incident:
    deleted = incidents.delete_incident(incident_id, actor=actor(router), force=force)
    return Incident.model_validate(deleted)


@router.post(
    f"{BASE}/<incident_id>/notes",
    tags=["incidents"],
    summary="Add a note to the timeline",
    responses=responses_for(404, ok=201),
)
def add_note(incident_id: str, body: NoteIn) -> tuple[IncidentDetail, int]:
    incidents.add_note(incident_id, body.note, actor=actor(router))
    return _detail(incident_id), 201


@router.get(
    f"{BASE}/<incident_id>/timeline",
    tags=["incidents"],
    summary="The timeline, oldest first, paged",
    responses=responses_for(404),
)
def get_timeline(
    incident_id: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> TimelinePage:
    items, next_cursor = incidents.timeline_page(incident_id, limit, cursor)
    return TimelinePage(items=[TimelineEntry.model_validate(i) for i in items], next_cursor=next_cursor)


@router.post(
    f"{BASE}/<incident_id>/acknowledge",
    tags=["incidents"],
    summary="Acknowledge: the ladder stops",
    responses=responses_for(404, 409, 422),
)
def acknowledge(incident_id: str, body: ActionIn) -> IncidentDetail:
    return _detail_after(
        incidents.change_status_with_timeline(
            incident_id, Status.ACKNOWLEDGED, actor=actor(router), reason=body.reason
        )
    )


@router.post(
    f"{BASE}/<incident_id>/resolve",
    tags=["incidents"],
    summary="Resolve: the ladder stops",
    responses=responses_for(404, 409, 422),
)
def resolve(incident_id: str, body: ActionIn) -> IncidentDetail:
    return _detail_after(
        incidents.change_status_with_timeline(
            incident_id, Status.RESOLVED, actor=actor(router), reason=body.reason
        )
    )


@router.post(
    f"{BASE}/<incident_id>/escalate",
    tags=["escalation"],
    summary="Escalate to the next rung now, or to rung escalation_level (also when acknowledged)",
    responses=responses_for(404, 409, 422),
)
def escalate_incident(incident_id: str, body: EscalateIncidentIn) -> IncidentDetail:
    responders.escalate(incident_id, level=body.escalation_level, reason=body.reason, actor=actor(router))
    return _detail(incident_id)


@router.post(
    f"{BASE}/<incident_id>/reassign",
    tags=["escalation"],
    summary="Hand to another team: the ladder restarts at rung 0, paging that team",
    responses=responses_for(404, 409, 422),
)
def reassign(incident_id: str, body: ReassignIn) -> IncidentDetail:
    responders.reassign(incident_id, body.team, reason=body.reason, actor=actor(router))
    return _detail(incident_id)


@router.post(
    f"{BASE}/<incident_id>/responders",
    tags=["escalation"],
    summary="Page one more team, person or email address now; the ladder goes on as it was",
    responses=responses_for(404, 409, 422),
)
def add_responder(incident_id: str, body: ResponderIn) -> IncidentDetail:
    responders.add_responder(incident_id, body.model_dump(exclude_none=True), actor=actor(router))
    return _detail(incident_id)


@router.post(
    f"{BASE}/<incident_id>/snooze",
    tags=["escalation"],
    summary="Acknowledge for a while; then the ladder resumes",
    responses=responses_for(404, 409, 422),
)
def snooze(incident_id: str, body: SnoozeIn) -> IncidentDetail:
    responders.snooze(incident_id, body.total_seconds, actor=actor(router))
    return _detail(incident_id)


@router.post(
    f"{BASE}/<incident_id>/merge",
    tags=["incidents"],
    summary="Merge into another incident: alerts and timeline move; this one closes, pointing there",
    responses=responses_for(404, 409, 422),
)
def merge(incident_id: str, body: MergeIn) -> IncidentDetail:
    responders.merge(incident_id, body.into, actor=actor(router))
    return _detail(incident_id)
