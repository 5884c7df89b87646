"""SQS batch handling shared by the four deliver functions (partial batch responses): the
records of a batch are sent side by side, so one slow receiver never delays another record's
page; a delivery to retry is made visible again after its backoff and reported as failed;
everything else is deleted from the queue."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from vigil.adapters import channels
from vigil.observability import logger
from vigil.services.paging import delivery

# 5 s read), or an AWS call, with a margin. Below it the function stops and hands the rest back,
# rather than be killed mid-batch.
TIME_NEEDED_PER_RECORD_MS = 10_000
# A batch is at most 10 records (the queues' BatchSize): each gets its own sender.
MAX_PARALLEL_SENDS = 10


def handle_batch(
    event: dict[str, Any],
    channel: str,
    options: delivery.DeliveryOptions,
    remaining_ms: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """An entirely failed batch is answered like any other: each record is retried on its own backoff."""
    # Not the parser's SqsRecordModel: it requires SenderId, which events/deliver_*.json leave out.
    records = [SQSRecord(raw) for raw in event.get("Records", [])]
    failed = _send_side_by_side(records, lambda record: _deliver(record, channel, options), remaining_ms)
    failures = [{"itemIdentifier": r.message_id} for r in records if r.message_id in failed]
    return {"batchItemFailures": failures}


def _send_side_by_side(
    records: list[SQSRecord], send: Callable[[SQSRecord], None], remaining_ms: Callable[[], int] | None
) -> set[str]:
    """Start each record as soon as a sender is free, unless the invocation is running out of
    time; the message ids of the records that failed or were handed back."""
    failed: set[str] = set()
    started: dict[str, Future[None]] = {}
    free = threading.BoundedSemaphore(MAX_PARALLEL_SENDS)
    with ThreadPoolExecutor(MAX_PARALLEL_SENDS, thread_name_prefix="deliver") as senders:
        for record in records:
            free.acquire()
            if remaining_ms is not None and remaining_ms() < TIME_NEEDED_PER_RECORD_MS:
                free.release()
                _hand_back(record)
                failed.add(record.message_id)
                continue
            # Each sender runs in a copy of the invocation's context (its deadline, its logger keys).
            sent = senders.submit(contextvars.copy_context().run, send, record)
            sent.add_done_callback(lambda _: free.release())
            started[record.message_id] = sent
    failed.update(message_id for message_id, sent in started.items() if sent.exception() is not None)
    return failed


def _hand_back(record: SQSRecord) -> None:
    logger.warning("out of time: record handed back untried", extra={"message_id": record.message_id})
    _retry_later(record, 0)  # visible again at once, for the next invocation


def _deliver(record: SQSRecord, channel: str, options: delivery.DeliveryOptions) -> None:
    try:
        message = record.json_body  # a DeliveryMessage, validated by delivery.deliver
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
