"""Emptying a queue of the local stack between tests."""

from __future__ import annotations

from typing import Any

RECEIVES = 200  # at most this many batches of 10 are taken off a queue that was purged lately


def drop_storm_parts(stack: Any) -> None:
    """The storm queue's parts are the storm function's business, not the next tests': drop
    them. SQS (and moto) allow one purge a minute per queue; within it, take them off instead."""
    sqs = stack.clients["sqs"]
    url = stack.resolver.physical["StormQueue"]["Ref"]
    try:
        sqs.purge_queue(QueueUrl=url)
    except sqs.exceptions.PurgeQueueInProgress:
        for _ in range(RECEIVES):
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
