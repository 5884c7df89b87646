"""Imports of other tools' on-call setups: /api/import/{vendor}."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from vigil.api.errors import responses_for
from vigil.domain.model import Model
from vigil.domain.people import Vendor

router = APIGatewayRouter()
Outcome = Annotated[
    Literal["created", "updated"], Field(description="updated: imported from the same vendor object before")
]


class ImportedUser(Model):
    user_id: str = Field(description="the vendor's user id, kept as the Vigil user id")
    outcome: Outcome


class ImportedSchedule(Model):
    source_id: str = Field(description="the vendor's schedule id")
    schedule_id: str
    outcome: Outcome


class ImportedPolicy(Model):
    source_id: str = Field(description="the vendor's escalation policy (chain, escalation) id")
    policy_id: str
    outcome: Outcome


class ImportReport(Model):
    users: list[ImportedUser] = Field(description="people created or replaced")
    schedules: list[ImportedSchedule]
    escalation_policies: list[ImportedPolicy]
    unmapped: list[str] = Field(description="what could not be imported, and why")


@router.post(
    "/api/import/<vendor>",
    tags=["people"],
    summary="Import people, schedules and escalation policies from the JSON of another tool's API",
    description="Importing the same document again updates what the first import made, in place.",
    responses=responses_for(ok=201),
)
def import_setup(
    vendor: Annotated[Vendor, Path()],
    body: Annotated[dict[str, Any], Body(description="what the vendor's API answered (see docs/oncall.md)")],
) -> tuple[ImportReport, int]:
    from vigil.services import imports  # imported for an import only: the API's other cold starts skip it

    return ImportReport(**imports.import_setup(vendor, body)), 201
