"""Ingestion: integration webhooks (/api/hooks/{token}) and PagerDuty-compatible /v2/enqueue.
Kept lean for cold starts: no Powertools resolver (see vigil.api.ingest)."""

from __future__ import annotations

from typing import Any

from vigil.api.ingest import handle
from vigil.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event)
