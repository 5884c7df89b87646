"""Pydantic models of the management API's bodies and responses (the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from vigil.domain.access import Scope
from vigil.domain.alerts import Severity
from vigil.domain.api_keys import ApiKey
from vigil.domain.escalation import EscalationPolicy, Simulation
from vigil.domain.incidents import Incident, Status
from vigil.domain.integrations import IntegrationSettings
from vigil.domain.model import Model
from vigil.domain.oncall import OBJECT_ID
from vigil.domain.playbooks import PLAYBOOK_ID, Playbook, PlaybookProgress, StepRequest
from vigil.domain.teams import EMAIL, TEAM_NAME, Team
from vigil.domain.vocabulary import IntegrationKind


class ErrorDetail(Model):
    field: str = ""
    message: str


class ErrorBody(Model):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(Model):
    error: ErrorBody


class ComponentHealth(Model):
    component: str
    status: str
    detail: str = ""


class Health(Model):
    status: str = Field(description="ok, or degraded when a component is down")
    version: str
    components: list[ComponentHealth]
    warnings: list[str] = Field(
        default_factory=list,
        description=(
            "configuration checks, for a caller with an API key: e.g. a schedule with nobody on call soon"
        ),
    )


class ApiKeyIn(Model):
    name: str = Field(min_length=1, max_length=100)
    scope: Scope = Field(
        default=Scope.ADMIN,
        description="read-only (GETs), responder (also work incidents and alerts) or admin (also configure)",
    )
    email: str | None = Field(
        default=None,
        max_length=254,
        pattern=EMAIL.pattern,
        description="its holder's: a magic sign-in link goes there",
    )
    team: str | None = Field(
        default=None, pattern=TEAM_NAME, description="its holder's team: the console's assigned to me"
    )


class ApiKeyCreated(ApiKey):
    secret: str = Field(description="the key itself: shown once, never stored")

    @classmethod
    def of(cls, key: ApiKey, secret: str) -> ApiKeyCreated:
        return cls(**key.model_dump(), secret=secret)


class ApiKeyList(Model):
    items: list[ApiKey]


class TimelineEntry(Model):
    at: str
    kind: str
    actor: str | None = None
    message: str
    data: dict[str, Any] = {}


class Escalation(Model):
    state: str | None = None
    execution_arn: str | None = None
    rung: int | None = None
    round: int | None = None
    paged_at: str | None = None
    next_escalation_at: str | None = None


class AlertSummary(Model):
    alert_id: str
    dedup_key: str
    title: str
    status: str
    severity: str
    source: str
    occurrences: int
    first_seen: str
    last_seen: str


class IncidentDetail(Incident):
    merged_into: str | None = Field(default=None, description="the incident this one was merged into")
    alerts: list[AlertSummary] = []
    timeline: list[TimelineEntry] = []
    escalation: Escalation = Escalation()
    playbook: PlaybookProgress | None = Field(default=None, description="the attached playbook's progress")


class IncidentPage(Model):
    items: list[Incident]
    next_cursor: str | None = None
    counts: dict[str, int]


class IncidentUpdate(Model):
    """Any subset of the fields; `version` (or an If-Match header) guards against lost updates."""

    status: Status | None = None
    assigned_team: str | None = Field(default=None, pattern=TEAM_NAME)
    severity: Severity | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    note: str | None = Field(default=None, min_length=1, max_length=10_000)
    reason: str = Field(default="", max_length=1000, description="why the status changes")
    version: int | None = Field(default=None, ge=1, description="expected version: 409 if it changed")


class NoteIn(Model):
    note: str = Field(min_length=1, max_length=10_000)


class TimelinePage(Model):
    items: list[TimelineEntry]
    next_cursor: str | None = None


class ActionIn(Model):
    reason: str = Field(default="", max_length=1000)


class EscalateIn(Model):
    incident_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(default="escalated by hand", min_length=1, max_length=1000)
    escalation_level: int | None = Field(
        default=None, ge=0, le=20, description="the rung to go to; default: the next one"
    )


class EscalateIncidentIn(Model):
    reason: str = Field(default="escalated by hand", min_length=1, max_length=1000)
    escalation_level: int | None = Field(
        default=None, ge=0, le=20, description="the rung to go to; default: the next one"
    )


class ReassignIn(Model):
    team: str = Field(pattern=TEAM_NAME)
    reason: str = Field(default="", max_length=1000)


class ResponderIn(Model):
    """One more team, person (user id) or email address, paged now."""

    team: str | None = Field(default=None, pattern=TEAM_NAME)
    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)

    @model_validator(mode="after")
    def _one_responder(self) -> ResponderIn:
        if len(self.model_dump(exclude_none=True)) != 1:
            raise ValueError("give exactly one of team, user_id or email")
        return self


class SnoozeIn(Model):
    """How long to stay acknowledged before the ladder resumes: minutes, or seconds."""

    minutes: float | None = Field(default=None, gt=0, le=7 * 24 * 60)
    seconds: int | None = Field(default=None, ge=1, le=7 * 24 * 3600)

    @model_validator(mode="after")
    def _one_duration(self) -> SnoozeIn:
        if (self.minutes is None) == (self.seconds is None):
            raise ValueError("give exactly one of minutes or seconds")
        return self

    @property
    def total_seconds(self) -> int:
        return self.seconds if self.seconds is not None else max(1, round((self.minutes or 0) * 60))


class MergeIn(Model):
    into: str = Field(min_length=1, max_length=100, description="the surviving incident")


class IntegrationIn(Model):
    name: str = Field(min_length=1, max_length=100)
    kind: IntegrationKind
    settings: IntegrationSettings = Field(default_factory=IntegrationSettings)


class IntegrationPatch(Model):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    settings: IntegrationSettings | None = None


class Integration(Model):
    integration_id: str
    name: str
    kind: str
    settings: IntegrationSettings = Field(default_factory=IntegrationSettings)
    created_at: str
    updated_at: str
    token_prefix: str
    service_id: str | None = Field(default=None, description="its service (/api/services); none: the default")
    warnings: list[str] = Field(default_factory=list, description="settings that weaken protection")

    @model_validator(mode="after")
    def _warn(self) -> Integration:
        if self.kind == "cloudwatch" and not self.settings.verify_sns_signature:
            self.warnings = ["SNS signature verification is off for this integration"]
        return self


class HeartbeatIn(Model):
    name: str = Field(min_length=1, max_length=100)
    interval_seconds: int = Field(ge=60, le=7 * 24 * 3600, description="how often the job pings")
    grace_seconds: int = Field(default=300, ge=0, le=24 * 3600, description="lateness forgiven before a miss")
    service_id: str | None = Field(
        default=None,
        max_length=100,
        description="its service (/api/services), whose policy pages; none: the default",
    )


class Heartbeat(Model):
    heartbeat_id: str
    name: str
    interval_seconds: int
    grace_seconds: int
    service_id: str | None = None
    state: str = Field(description="up, or missed (an incident is open until the next ping)")
    created_at: str
    last_ping_at: str | None = None
    due_at: str = Field(description="a ping must arrive before this moment")
    token_prefix: str


class HeartbeatCreated(Heartbeat):
    token: str = Field(description="shown once; only its hash is stored")
    ping_url: str = Field(
        description="GET or POST it every interval; shown once, only its token's hash is stored"
    )


class HeartbeatList(Model):
    items: list[Heartbeat]


class HeartbeatPinged(Heartbeat):
    recovered: bool = Field(description="this ping ended a miss and resolved its incident")


class IntegrationCreated(Integration):
    token: str = Field(description="shown once; only its hash is stored")
    url: str = Field(
        description="where the monitoring tool should POST: the Events API URL for a pagerduty "
        "integration, else the hooks URL with the token in its path"
    )
    bearer_url: str = Field(
        description="the hooks URL without the token: send it as `Authorization: Bearer <token>` "
        "(preferred: a URL with a token ends up in the sender's logs)"
    )
    routing_key: str | None = Field(default=None, description="pagerduty: the routing key (the token)")
    change_url: str | None = Field(default=None, description="pagerduty: where Change Events go")


class RotateIn(Model):
    grace_seconds: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)


class IntegrationList(Model):
    items: list[Integration]


class TeamList(Model):
    items: list[Team]


class PlaybookList(Model):
    items: list[Playbook]


class PlaybookAttachIn(Model):
    playbook_id: str = Field(pattern=PLAYBOOK_ID)


class StepUpdateIn(Model):
    status: StepRequest = Field(description="done, skipped or failed; run starts an automated step")
    note: str = Field(default="", max_length=2000)


class PolicySaved(EscalationPolicy):
    warnings: list[ErrorDetail] = Field(
        default_factory=list, description="saved, but these will make pages fail (e.g. an unknown team)"
    )


class SimulateIn(Model):
    """An incident as it would open: only severity is required."""

    severity: Severity
    category: str | None = Field(default=None, max_length=50)
    status: Status = Status.OPEN
    assigned_team: str | None = Field(default=None, pattern=TEAM_NAME)
    title: str = Field(default="simulated incident", max_length=300)
    labels: dict[str, str] = Field(default_factory=dict)
    policy_id: str | None = Field(
        default=None,
        pattern=OBJECT_ID,
        description="dry-run this escalation policy; none: the incident's own",
    )


class SimulationResult(Simulation):
    assigned_team: str
    policy_version: int
    reachable: dict[str, dict[str, list[str]]] = Field(
        description="per paged team, per channel, the destinations a page would reach ([] = unreachable)"
    )
