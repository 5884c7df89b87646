"""StormQueue: the parts of a storm, waiting for the storm function."""

from __future__ import annotations

from vigil.adapters.aws import client


def send(queue_url: str, part: str) -> None:
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=part)
