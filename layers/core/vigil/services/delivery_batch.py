"""SQS batch handling shared by the four deliver functions: partial failures are retried
after their backoff; everything else is deleted from the queue."""

from __future__ import annotations

import json
from typing import Any

from vigil.adapters import channels
from vigil.observability import logger
from vigil.services import delivery


def handle_batch(event: dict[str, Any], channel: str) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        if not _handled(record, channel):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _handled(record: dict[str, Any], channel: str) -> bool:
    try:
        message = json.loads(record["body"])
        if message.get("channel") != channel:
            logger.error("message for another channel dropped", extra={"channel": message.get("channel")})
            return True
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        delivery.deliver(message, attempt)
    except delivery.DeliveryFailed as failure:
        _retry_later(record, failure.retry_after)
        return False
    except Exception:
        logger.exception("delivery crashed", extra={"message_id": record.get("messageId")})
        return False
    return True


def _retry_later(record: dict[str, Any], seconds: int) -> None:
    try:
        channels.retry_later(record["eventSourceARN"], record["receiptHandle"], seconds)
    except Exception:  # the queue's own visibility timeout still brings it back
        logger.warning("could not set the retry delay", extra={"message_id": record.get("messageId")})
