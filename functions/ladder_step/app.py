"""Steps of the escalation state machine: advance, page, ack_expired, exhausted, failed."""

from __future__ import annotations

from typing import Any

from vigil.observability import logger, metrics
from vigil.services import ladder_steps


@logger.inject_lambda_context(correlation_id_path="incident_id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return _step(event)
    except Exception as error:
        raise ladder_steps.retryable(error) from error


def _step(event: dict[str, Any]) -> dict[str, Any]:
    action, incident_id = event["action"], event["incident_id"]
    if action == "advance":
        return ladder_steps.on_advance(
            incident_id, event["cursor"], event.get("reason"), event["execution_arn"]
        )
    if action == "page":
        return ladder_steps.on_page(incident_id, event["cursor"], event["task_token"], event["execution_arn"])
    if action == "ack_expired":
        return ladder_steps.on_ack_expired(incident_id, event.get("answer") or {}, event.get("execution_arn"))
    if action == "exhausted":
        return ladder_steps.on_exhausted(incident_id, event["cursor"], event["execution_arn"])
    if action == "failed":
        return ladder_steps.on_failed(incident_id, event.get("error") or {}, event["execution_arn"])
    raise ValueError(f"unknown action {action!r}")
