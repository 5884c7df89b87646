"""Heartbeats: /api/heartbeats, and the ping URL of each, authenticated by its token."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.errors import responses_for
from vigil.api.models import Heartbeat, HeartbeatCreated, HeartbeatIn, HeartbeatList, HeartbeatPinged
from vigil.api.urls import public_url
from vigil.services import heartbeats

router = APIGatewayRouter()
BASE = "/api/heartbeats"
PING_SUFFIX = "/ping"


def is_ping(path: str) -> bool:
    """A ping's address is its token, checked by its route: public like an integration hook."""
    return path.startswith(f"{BASE}/") and path.endswith(PING_SUFFIX)


@router.post(
    BASE,
    tags=["heartbeats"],
    summary="Create a heartbeat; its ping URL is shown once",
    responses=responses_for(ok=201),
)
def create(body: HeartbeatIn) -> tuple[HeartbeatCreated, int]:
    record, token = heartbeats.create(body.name, body.interval_seconds, body.grace_seconds, body.service_id)
    url = public_url(router.current_event, f"{BASE}/{token}{PING_SUFFIX}")
    return HeartbeatCreated(**record, token=token, ping_url=url), 201


@router.get(BASE, tags=["heartbeats"], summary="List heartbeats", responses=responses_for())
def list_all() -> HeartbeatList:
    return HeartbeatList(items=[Heartbeat(**h) for h in heartbeats.list_all()])


@router.get(
    f"{BASE}/<heartbeat_id>", tags=["heartbeats"], summary="A heartbeat", responses=responses_for(404)
)
def get(heartbeat_id: str) -> Heartbeat:
    return Heartbeat(**heartbeats.get(heartbeat_id))


@router.delete(
    f"{BASE}/<heartbeat_id>",
    tags=["heartbeats"],
    summary="Delete; its ping URL stops at once",
    responses=responses_for(404),
)
def delete(heartbeat_id: str) -> Heartbeat:
    return Heartbeat(**heartbeats.delete(heartbeat_id))


@router.route(
    f"{BASE}/<token>{PING_SUFFIX}",
    method=["GET", "POST"],
    tags=["heartbeats"],
    summary="Ping (no API key: the token in the path); ends a miss",
    responses=responses_for(401, public=True),
)
def ping(token: str) -> HeartbeatPinged:
    return HeartbeatPinged(**heartbeats.ping(token))
