"""Configuration as code: /api/config (export, plan, apply, schema, history)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from vigil.domain.config_code import Change, ConfigDocument
from vigil.domain.model import Model
from vigil.http.auth import actor
from vigil.http.errors import responses_for
from vigil.services import config_code

router = APIGatewayRouter()
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
