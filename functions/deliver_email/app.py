"""Delivers email notifications from its SQS queue, exactly once per delivery id."""

from __future__ import annotations

from typing import Any

from vigil.config import settings
from vigil.observability import logger, metrics
from vigil.services.paging.delivery import DeliveryOptions
from vigil.services.paging.delivery_batch import handle_batch


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    config = settings()  # read once per cold start (cached)
    options = DeliveryOptions(config.retry_base_seconds, config.public_base_url)
    return handle_batch(event, "email", options, context.get_remaining_time_in_millis)
