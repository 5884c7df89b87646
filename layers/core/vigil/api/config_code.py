"""Configuration as code: /api/config (export, plan, apply, schema, history)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field, field_validator

from vigil.api.auth import actor
from vigil.api.errors import responses_for
from vigil.domain.config_code import Change, ConfigDocument
from vigil.domain.model import Model
from vigil.services import config_code

router = APIGatewayRouter()
AGO = re.compile(r"^(\d{1,4})([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
Version = Annotated[str, Field(min_length=1, max_length=64, description="the version GET /api/config gave")]


class ConfigExport(Model):
    version: str = Field(description="a digest of the live configuration: any change moves it")
    revision: int = Field(description="how many configurations were applied")
    config: ConfigDocument


class PlanIn(Model):
    config: ConfigDocument


class Plan(Model):
    version: str = Field(description="the live version this plan was made against")
    changes: list[Change]


class ApplyIn(Model):
    version: Version
    config: ConfigDocument


class ChangeSummary(Model):
    section: str
    name: str
    action: str


class CreatedIntegration(Model):
    integration: str
    integration_id: str
    token: str = Field(description="shown once")


class Revision(Model):
    revision: int
    version: str
    previous_version: str
    changes: list[ChangeSummary]
    saved_by: str
    saved_at: str


class Applied(Revision):
    created: list[CreatedIntegration]


class RevisionList(Model):
    items: list[Revision]


@router.get(
    "/api/config",
    tags=["config"],
    summary="The live configuration as one document",
    responses=responses_for(),
)
def export() -> ConfigExport:
    return ConfigExport.model_validate(config_code.exported())


@router.get(
    "/api/config/schema",
    tags=["config"],
    summary="The JSON Schema of the configuration document (for editors)",
    responses=responses_for(),
)
def schema() -> dict[str, Any]:
    return ConfigDocument.model_json_schema()


@router.post(
    "/api/config/plan",
    tags=["config"],
    summary="What applying a configuration would change, object by object",
    responses=responses_for(),
)
def plan(body: PlanIn) -> Plan:
    return Plan.model_validate(config_code.plan_against_live(body.config))


@router.post(
    "/api/config/apply",
    tags=["config"],
    summary="Apply a configuration, all or nothing; 409 if the live version moved",
    responses=responses_for(409),
)
def apply(body: ApplyIn) -> Applied:
    return Applied.model_validate(config_code.apply(body.config, body.version, actor(router)))


@router.get(
    "/api/config/changes",
    tags=["config"],
    summary="The configuration-change timeline, newest first",
    responses=responses_for(),
)
def changes(limit: Annotated[int, Query(ge=1, le=100)] = 20) -> RevisionList:
    return RevisionList(items=[Revision.model_validate(r) for r in config_code.history(limit)])


class ReplayIn(Model):
    config: ConfigDocument = Field(
        description="the proposed configuration; sections left out stay as they are"
    )
    since: str = Field(max_length=40, description="how far back: 7d, 12h, 90m, or an ISO 8601 time")

    @field_validator("since")
    @classmethod
    def _period(cls, value: str) -> str:
        if AGO.match(value):
            return value
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("expected 7d, 12h, 90m or an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ValueError("an ISO 8601 time needs a timezone (use Z for UTC)")
        return value

    def start(self) -> datetime:
        ago = AGO.match(self.since)
        if ago:
            return datetime.now(UTC) - timedelta(**{UNITS[ago.group(2)]: int(ago.group(1))})
        return datetime.fromisoformat(self.since.replace("Z", "+00:00"))


class PersonPages(Model):
    pages: int
    night_pages: int = Field(
        description="between 22:00 and 07:00 in the person's time zone (UTC for members)"
    )
    by_hour: dict[str, int]
    notifications: int = Field(
        description="what the pages sent: a person's notification rules until the incident stopped; "
        "a team member once per contact method on the rung's channels"
    )
    night_notifications: int = Field(description="notifications sent between 22:00 and 07:00 on their clock")
    by_method: dict[str, int] = Field(description="notifications per contact method type (email, sms, ...)")


class ReplaySummary(Model):
    incidents: int
    pages: int
    night_pages: int
    notifications: int
    night_notifications: int
    silenced_arrivals: int
    pages_by_team: dict[str, int]
    pages_by_person: dict[str, PersonPages] = Field(
        description="members by name; team:<name> for a team's own"
    )
    unreachable_rungs: dict[str, int] = Field(
        description="rungs that would page a team nobody could be reached in"
    )


class ReplayedIncident(Model):
    incident_id: str
    title: str
    severity: str
    team: str
    opened_at: str
    pages: int
    notifications: int
    first_page_after_seconds: float | None


class ActualCounts(Model):
    incidents: int


class ReplayReport(Model):
    since: str
    until: str
    alerts: int
    actual: ActualCounts
    current: ReplaySummary = Field(description="the same alerts under the live configuration")
    proposed: ReplaySummary
    incidents_not_opened: list[str] = Field(description="incidents that opened and would not")
    incidents_newly_opened: list[str] = Field(description="incidents that would open and did not")
    alerts_no_longer_paging: list[str]
    incidents: list[ReplayedIncident] = Field(description="the first 50 incidents the proposal would open")


@router.post(
    "/api/replay",
    tags=["config"],
    summary="Replay a period's stored alerts under a proposed configuration (nothing sent or written)",
    responses=responses_for(),
)
def replay_period(body: ReplayIn) -> ReplayReport:
    from vigil.services import replay  # imported for a replay only: the API's other cold starts skip it

    return ReplayReport.model_validate(replay.replay_period(body.config, body.start()))
