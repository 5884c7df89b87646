"""Management API: one Powertools resolver, routers from vigil.api, auth on every route."""

from __future__ import annotations

from typing import Any

from vigil.api.app import build_app, treat_body_as_json
from vigil.api.auth import resolve_authenticated
from vigil.observability import logger, metrics

app = build_app()


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return resolve_authenticated(app, treat_body_as_json(event), context)
