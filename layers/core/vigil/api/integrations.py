"""Integrations: /api/integrations, each with its own ingestion token."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.errors import responses_for
from vigil.api.models import (
    Integration,
    IntegrationCreated,
    IntegrationIn,
    IntegrationList,
    IntegrationPatch,
    RotateIn,
)
from vigil.api.urls import public_url
from vigil.services import integrations

router = APIGatewayRouter()
BASE = "/api/integrations"


def _created(record: dict[str, Any], token: str) -> IntegrationCreated:
    """Where the sender posts: a PagerDuty client takes the Events API URL and the token as its
    routing key; any other sender the hooks URL, with the token as a Bearer header (preferred)
    or in the path."""
    event = router.current_event
    created = IntegrationCreated(
        **record,
        token=token,
        url=public_url(event, f"/api/hooks/{token}"),
        bearer_url=public_url(event, "/api/hooks"),
    )
    if record["kind"] == "pagerduty":
        created.url, created.routing_key = public_url(event, "/v2/enqueue"), token
        created.change_url = public_url(event, "/v2/change/enqueue")
    return created


@router.post(
    BASE,
    tags=["integrations"],
    summary="Create an integration; its token is shown once",
    responses=responses_for(ok=201),
)
def create(body: IntegrationIn) -> tuple[IntegrationCreated, int]:
    record, token = integrations.create(body.name, body.kind, body.settings.model_dump(mode="json"))
    return _created(record, token), 201


@router.get(BASE, tags=["integrations"], summary="List integrations", responses=responses_for())
def list_all() -> IntegrationList:
    return IntegrationList(items=[Integration(**i) for i in integrations.list_all()])


@router.get(
    f"{BASE}/<integration_id>", tags=["integrations"], summary="An integration", responses=responses_for(404)
)
def get(integration_id: str) -> Integration:
    return Integration(**integrations.get(integration_id))


@router.patch(
    f"{BASE}/<integration_id>",
    tags=["integrations"],
    summary="Rename or change settings",
    responses=responses_for(404),
)
def update(integration_id: str, body: IntegrationPatch) -> Integration:
    settings = body.settings.model_dump(mode="json") if body.settings else None
    return Integration(**integrations.update(integration_id, body.name, settings))


@router.post(
    f"{BASE}/<integration_id>/rotate",
    tags=["integrations"],
    summary="New token; the old one works for a grace period (default 24 h)",
    responses=responses_for(404),
)
def rotate(integration_id: str, body: RotateIn) -> IntegrationCreated:
    record, token = integrations.rotate(integration_id, body.grace_seconds)
    return _created(record, token)


@router.delete(
    f"{BASE}/<integration_id>",
    tags=["integrations"],
    summary="Delete; its tokens stop at once",
    responses=responses_for(404),
)
def delete(integration_id: str) -> Integration:
    record = integrations.get(integration_id)
    integrations.delete(integration_id)
    return Integration(**record)
