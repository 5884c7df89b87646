"""SQS batch handling shared by the four deliver functions: partial failures are retried."""

from __future__ import annotations

import json
from typing import Any

from vigil.observability import logger
from vigil.services import notify


def handle_batch(event: dict[str, Any], channel: str) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        try:
            message = json.loads(record["body"])
            if message.get("channel") != channel:
                logger.error("message for another channel", extra={"channel": message.get("channel")})
                continue
            attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
            notify.deliver(message, attempt)
        except notify.DeliveryFailed:
            failures.append({"itemIdentifier": record["messageId"]})
        except Exception:
            logger.exception("delivery crashed", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
