"""SQS batch handling shared by the four deliver functions (Powertools' partial batch
responses): a delivery to retry is made visible again after its backoff and reported as
failed; everything else is deleted from the queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from vigil.adapters import channels
from vigil.observability import logger
from vigil.services import delivery

# What one more record may take: a 3 s connect and a 5 s read, or an AWS call, with a margin.
# Below it the function stops and hands the rest back, rather than be killed mid-batch.
TIME_NEEDED_PER_RECORD_MS = 10_000


class OutOfTime(Exception):
    """Too little of the invocation is left to try this record: it goes back to the queue."""


def handle_batch(
    event: dict[str, Any],
    channel: str,
    options: delivery.DeliveryOptions,
    remaining_ms: Callable[[], int] | None = None,
) -> dict[str, Any]:
    # An entirely failed batch is answered like any other: each record is retried on its own backoff.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(
            event, lambda record: _deliver(record, channel, options, remaining_ms), processor
        )
    )


def _deliver(
    record: SQSRecord, channel: str, options: delivery.DeliveryOptions, remaining_ms: Callable[[], int] | None
) -> None:
    if remaining_ms is not None and remaining_ms() < TIME_NEEDED_PER_RECORD_MS:
        logger.warning("out of time: record handed back untried", extra={"message_id": record.message_id})
        _retry_later(record, 0)  # visible again at once, for the next invocation
        raise OutOfTime(record.message_id)
    try:
        message = json.loads(record.body)
        if message.get("channel") != channel:
            logger.error("message for another channel dropped", extra={"channel": message.get("channel")})
            return
        delivery.deliver(message, int(record.attributes.approximate_receive_count or 1), options)
    except delivery.DeliveryFailed as failure:
        _retry_later(record, failure.retry_after)
        raise
    except Exception:
        logger.exception("delivery crashed", extra={"message_id": record.message_id})
        raise


def _retry_later(record: SQSRecord, seconds: int) -> None:
    try:
        channels.retry_later(record.event_source_arn, record.receipt_handle, seconds)
    except Exception:  # the queue's own visibility timeout still brings it back
        logger.warning("could not set the retry delay", extra={"message_id": record.message_id})
