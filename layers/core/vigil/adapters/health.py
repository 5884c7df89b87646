"""Probes of the components a function depends on: does each answer?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vigil.adapters.aws import client
from vigil.config import settings


def _probe(name: str, probe: Callable[[], Any]) -> dict[str, str]:
    try:
        probe()
    except Exception as error:  # a health check reports failures, it does not raise them
        return {"component": name, "status": "down", "detail": type(error).__name__}
    return {"component": name, "status": "ok", "detail": ""}


def probe_components() -> list[dict[str, str]]:
    config = settings()
    return [
        _probe("table", lambda: client("dynamodb").describe_table(TableName=config.table_name)),
        _probe(
            "escalation",
            lambda: client("stepfunctions").describe_state_machine(stateMachineArn=config.state_machine_arn),
        ),
        _probe(
            "notifications",
            lambda: client("sns").get_topic_attributes(TopicArn=config.notifications_topic_arn),
        ),
    ]
