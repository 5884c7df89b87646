"""Delivers sms notifications from its SQS queue, exactly once per delivery id."""

from __future__ import annotations

from typing import Any

from vigil.observability import logger, metrics, tracer
from vigil.services.delivery_batch import handle_batch


@logger.inject_lambda_context
@metrics.log_metrics
@tracer().capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_batch(event, "sms", context.get_remaining_time_in_millis)
