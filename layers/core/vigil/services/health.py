"""Health: the version and whether each component this function depends on answers."""

from __future__ import annotations

from typing import Any

from vigil import __version__
from vigil.adapters.aws import client
from vigil.config import settings


def _check(name: str, probe: Any) -> dict[str, str]:
    try:
        probe()
    except Exception as error:  # a health check reports failures, it does not raise them
        return {"component": name, "status": "down", "detail": type(error).__name__}
    return {"component": name, "status": "ok", "detail": ""}


def health() -> dict[str, Any]:
    config = settings()
    components = [
        _check("table", lambda: client("dynamodb").describe_table(TableName=config.table_name)),
        _check(
            "escalation",
            lambda: client("stepfunctions").describe_state_machine(stateMachineArn=config.state_machine_arn),
        ),
        _check(
            "notifications",
            lambda: client("sns").get_topic_attributes(TopicArn=config.notifications_topic_arn),
        ),
    ]
    healthy = all(c["status"] == "ok" for c in components)
    return {"status": "ok" if healthy else "degraded", "version": __version__, "components": components}
