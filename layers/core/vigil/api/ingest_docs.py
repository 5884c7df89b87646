"""The ingestion routes as Powertools routes, for the OpenAPI document (and any resolver that
wants them); the ingest function serves the same functions through vigil.api.ingest.handle."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api import ingest
from vigil.api.errors import responses_for
from vigil.api.headers import header
from vigil.api.ingest import ChangeResult, EnqueueResult, IngestResult

router = APIGatewayRouter()


@router.post(
    "/api/hooks/<token>",
    tags=["ingestion"],
    summary="Receive alerts from a monitoring tool (the token names the integration)",
    responses=responses_for(401, 413, 429, 502, 503, public=True),
)
def receive(token: str) -> IngestResult:
    return ingest.receive(token, router.current_event.decoded_body or "")


@router.post(
    "/api/hooks",
    tags=["ingestion"],
    summary="Receive alerts from a monitoring tool; the integration token as `Authorization: Bearer` "
    "(preferred: it stays out of URLs and logs)",
    responses=responses_for(401, 413, 429, 502, 503, public=True),
)
def receive_bearer() -> IngestResult:
    token = ingest.bearer_token(header(router.current_event.raw_event, "Authorization"))
    return ingest.receive(token, router.current_event.decoded_body or "")


@router.post(
    "/v2/enqueue",
    tags=["ingestion"],
    summary="PagerDuty Events API v2 compatible: routing_key is the integration token",
    responses=responses_for(401, 413, 429, 503, ok=202, public=True),
)
def enqueue() -> tuple[EnqueueResult, int]:
    return ingest.enqueue(router.current_event.decoded_body or ""), 202


@router.post(
    "/v2/change/enqueue",
    tags=["ingestion"],
    summary="PagerDuty Change Events compatible: the change goes on the timelines of the open incidents "
    "of the integration (routing_key) as a recent change; pages no one",
    responses=responses_for(401, 413, 429, 503, ok=202, public=True),
)
def enqueue_change() -> tuple[ChangeResult, int]:
    return ingest.enqueue_change(router.current_event.decoded_body or ""), 202
