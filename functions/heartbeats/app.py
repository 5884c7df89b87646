"""Every minute (EventBridge schedule): open an incident for each missed heartbeat."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from vigil.domain.clock import parse_iso, utcnow
from vigil.observability import logger, metrics
from vigil.services import heartbeats


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    # The schedule's event carries the minute it fired; a late or retried invocation checks that minute.
    moment = parse_iso(event.time) if event.get("time") else utcnow()
    return heartbeats.check(moment)
