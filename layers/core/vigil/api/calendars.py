"""iCalendar feeds: a secret address per schedule and per person, for calendar apps to poll."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from vigil.api.errors import responses_for
from vigil.api.urls import public_url
from vigil.domain.model import Model
from vigil.domain.oncall import OBJECT_ID
from vigil.domain.schedules import USER_ID
from vigil.services import calendars

router = APIGatewayRouter()
FEEDS = "/api/calendars/"
CALENDAR: dict[str, Any] = {"text/calendar": {"schema": {"type": "string"}}}


class CalendarFeed(Model):
    url: str = Field(
        description="subscribe to this address (it is the secret: shown once); a new one ends it"
    )


def _feed(kind: str, object_id: str) -> tuple[CalendarFeed, int]:
    secret = calendars.new_feed(kind, object_id)
    return CalendarFeed(url=public_url(router.current_event, f"{FEEDS}{secret}.ics")), 201


@router.post(
    "/api/schedules/<schedule_id>/calendar",
    tags=["schedules"],
    summary="A new iCalendar feed address of a schedule's final schedule",
    responses=responses_for(404, ok=201),
)
def schedule_feed(schedule_id: Annotated[str, Path(pattern=OBJECT_ID)]) -> tuple[CalendarFeed, int]:
    return _feed("schedule", schedule_id)


@router.post(
    "/api/users/<user_id>/calendar",
    tags=["people"],
    summary="A new iCalendar feed address of a person's shifts on every schedule",
    responses=responses_for(404, ok=201),
)
def user_feed(user_id: Annotated[str, Path(pattern=USER_ID)]) -> tuple[CalendarFeed, int]:
    return _feed("user", user_id)


@router.get(
    f"{FEEDS}<feed>",
    tags=["schedules"],
    summary="An iCalendar feed (no API key: its address is its secret)",
    responses={
        200: {"description": "text/calendar", "content": CALENDAR},
        **{k: v for k, v in responses_for(401, public=True).items() if k != 200},
    },
)
def feed(feed: Annotated[str, Path(max_length=200)]) -> Response[str]:
    text = calendars.render_feed(feed.removesuffix(".ics"))
    headers = {"Cache-Control": "private, max-age=300"}
    return Response(200, content_type="text/calendar; charset=utf-8", body=text, headers=headers)
