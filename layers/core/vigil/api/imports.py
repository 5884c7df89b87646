"""Imports of other tools' on-call setups: /api/import/{vendor}."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from vigil.api.errors import responses_for
from vigil.domain.model import Model
from vigil.services import imports

router = APIGatewayRouter()


class ImportReport(Model):
    users: list[str] = Field(description="user ids created or replaced (the vendor's ids)")
    schedules: list[dict[str, str]] = Field(description="each imported schedule: source_id and schedule_id")
    escalation_policies: list[dict[str, str]] = Field(
        description="each imported policy: source_id and policy_id"
    )
    unmapped: list[str] = Field(description="what could not be imported, and why")


@router.post(
    "/api/import/<vendor>",
    tags=["people"],
    summary="Import people, schedules and escalation policies from the JSON of another tool's API",
    responses=responses_for(ok=201),
)
def import_setup(
    vendor: Annotated[Literal["pagerduty", "opsgenie", "grafana-oncall"], Path()],
    body: Annotated[dict[str, Any], Body(description="what the vendor's API answered (see docs/oncall.md)")],
) -> tuple[ImportReport, int]:
    return ImportReport(**imports.import_setup(vendor, body)), 201
