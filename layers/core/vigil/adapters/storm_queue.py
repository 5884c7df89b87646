"""StormQueue: the parts of a storm, waiting for the storm function."""

from __future__ import annotations

from vigil.adapters.aws import call


def send(queue_url: str, part: str) -> None:
    """A throttled send leaves as Throttled: the sender is told to retry (503), never a 500."""
    call("sqs", "send_message", QueueUrl=queue_url, MessageBody=part)
