"""On-call schedules, their overrides and who is on call: /api/schedules."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import AwareDatetime

from vigil.api.errors import responses_for
from vigil.domain.model import Model
from vigil.domain.oncall import OBJECT_ID, OnCall, OverrideIn, ScheduleIn, StoredSchedule
from vigil.domain.schedules import Override
from vigil.services import schedules

router = APIGatewayRouter()
ScheduleId = Annotated[str, Path(pattern=OBJECT_ID)]
Moment = Annotated[AwareDatetime | None, Query(description="an ISO 8601 time with its offset or Z")]


class ScheduleList(Model):
    items: list[StoredSchedule]


@router.post(
    "/api/schedules", tags=["schedules"], summary="Create a schedule", responses=responses_for(ok=201)
)
def create_schedule(body: ScheduleIn) -> tuple[StoredSchedule, int]:
    return schedules.create_schedule(body), 201


@router.get("/api/schedules", tags=["schedules"], summary="List schedules", responses=responses_for())
def list_schedules() -> ScheduleList:
    return ScheduleList(items=schedules.list_schedules())


@router.get(
    "/api/schedules/<schedule_id>",
    tags=["schedules"],
    summary="A schedule with its layers and overrides",
    responses=responses_for(404),
)
def get_schedule(schedule_id: ScheduleId) -> StoredSchedule:
    return schedules.get_schedule(schedule_id)


@router.put(
    "/api/schedules/<schedule_id>",
    tags=["schedules"],
    summary="Replace a schedule's name, time zone and layers (its overrides stay)",
    responses=responses_for(404, 409),
)
def replace_schedule(schedule_id: ScheduleId, body: ScheduleIn) -> StoredSchedule:
    return schedules.replace_schedule(schedule_id, body)


@router.delete(
    "/api/schedules/<schedule_id>",
    tags=["schedules"],
    summary="Delete a schedule",
    responses=responses_for(404),
)
def delete_schedule(schedule_id: ScheduleId) -> StoredSchedule:
    return schedules.delete_schedule(schedule_id)


@router.post(
    "/api/schedules/<schedule_id>/overrides",
    tags=["schedules"],
    summary="Put a person on call over every layer for a time range",
    responses=responses_for(404, 409, ok=201),
)
def add_override(schedule_id: ScheduleId, body: OverrideIn) -> tuple[Override, int]:
    return schedules.add_override(schedule_id, body), 201


@router.delete(
    "/api/schedules/<schedule_id>/overrides/<override_id>",
    tags=["schedules"],
    summary="Remove an override",
    responses=responses_for(404, 409),
)
def remove_override(schedule_id: ScheduleId, override_id: str) -> Override:
    return schedules.remove_override(schedule_id, override_id)


@router.get(
    "/api/schedules/<schedule_id>/oncall",
    tags=["schedules"],
    summary="Who is on call: at a moment (`at`, default now) or the final schedule of `since`..`until`",
    responses=responses_for(404),
)
def on_call(schedule_id: ScheduleId, at: Moment = None, since: Moment = None, until: Moment = None) -> OnCall:
    return schedules.on_call(schedule_id, at=at, since=since, until=until)
