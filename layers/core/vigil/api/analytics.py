"""GET /api/analytics: MTTA, MTTR, counts and noise reduction over a time range."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.errors import responses_for
from vigil.domain.analytics import Analytics
from vigil.services import analytics as service

router = APIGatewayRouter()
ISO = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$"


@router.get(
    "/api/analytics",
    tags=["analytics"],
    summary="MTTA, MTTR, counts and noise reduction",
    responses=responses_for(),
)
def get_analytics(
    since: Annotated[str | None, Query(pattern=ISO, description="UTC ISO 8601; default 30 days ago")] = None,
    until: Annotated[str | None, Query(pattern=ISO, description="UTC ISO 8601; default now")] = None,
) -> Analytics:
    return service.analytics(since, until)
