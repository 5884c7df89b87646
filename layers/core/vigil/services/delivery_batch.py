"""SQS batch handling shared by the four deliver functions: partial failures are retried
after their backoff; everything else is deleted from the queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from vigil.adapters import channels
from vigil.observability import logger
from vigil.services import delivery

# What one more record may take: a 3 s connect and a 5 s read, or an AWS call, with a margin.
# Below it the function stops and hands the rest back, rather than be killed mid-batch.
TIME_NEEDED_PER_RECORD_MS = 10_000


def handle_batch(
    event: dict[str, Any], channel: str, remaining_ms: Callable[[], int] | None = None
) -> dict[str, Any]:
    failures: list[dict[str, str]] = []
    records = event.get("Records", [])
    for index, record in enumerate(records):
        if remaining_ms is not None and remaining_ms() < TIME_NEEDED_PER_RECORD_MS:
            return {"batchItemFailures": failures + _hand_back(records[index:])}
        if not _handled(record, channel):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _hand_back(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Records not tried for lack of time: visible again at once, for the next invocation."""
    logger.warning("out of time: records handed back untried", extra={"count": len(records)})
    for record in records:
        _retry_later(record, 0)
    return [{"itemIdentifier": record["messageId"]} for record in records]


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
