"""Ingestion routes: integration webhooks and the PagerDuty Events API v2 endpoint."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from vigil.domain.errors import InvalidInput, PayloadTooLarge
from vigil.services import intake, integrations

router = APIGatewayRouter()
MAX_BODY_BYTES = 512 * 1024


class AlertOutcome(BaseModel):
    alert_id: str
    dedup_key: str
    status: str
    action: str = Field(
        description="opened, joined, duplicate, resolved, acknowledged, recorded, suppressed, silenced"
    )
    incident_id: str | None = None
    reason: str = ""


class IngestResult(BaseModel):
    integration_id: str
    received: int
    alerts: list[AlertOutcome]
    sns_message_type: str | None = None
    note: str = ""


class EnqueueResult(BaseModel):
    status: str = "success"
    message: str = "Event processed"
    dedup_key: str


def _json_body() -> tuple[Any, str]:
    raw = router.current_event.decoded_body or ""
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(raw), raw
    except json.JSONDecodeError as error:
        raise InvalidInput("body", f"not valid JSON ({error.msg} at position {error.pos})") from None


@router.post(
    "/api/hooks/<token>",
    tags=["ingestion"],
    summary="Receive alerts from a monitoring tool (the token names the integration)",
)
def receive(token: str) -> IngestResult:
    integration = integrations.authenticate(token)
    body, raw = _json_body()
    result = intake.receive(integration, body, raw)
    return IngestResult(
        integration_id=integration["integration_id"],
        received=len(result.outcomes),
        alerts=[AlertOutcome(**o.as_dict()) for o in result.outcomes],
        sns_message_type=result.sns_message_type,
        note=result.note,
    )


@router.post(
    "/v2/enqueue",
    tags=["ingestion"],
    summary="PagerDuty Events API v2 compatible: routing_key is the integration token",
)
def enqueue() -> tuple[EnqueueResult, int]:
    body, raw = _json_body()
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    routing_key = body.get("routing_key")
    if not isinstance(routing_key, str) or not routing_key:
        raise InvalidInput("routing_key", "is required")
    integration = integrations.authenticate(routing_key)
    if integration["kind"] != "pagerduty":
        raise InvalidInput("routing_key", "not the token of a pagerduty integration")
    result = intake.receive(integration, body, raw)
    return EnqueueResult(dedup_key=result.outcomes[0].dedup_key), 202
