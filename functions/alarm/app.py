"""CloudWatch alarms through AlarmTopic (SNS), EventBridge, or a direct alarm action."""

from __future__ import annotations

from typing import Any

from vigil.observability import logger, metrics
from vigil.services.ingest import alarms


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return alarms.receive(event)
