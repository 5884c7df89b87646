"""CloudWatch alarm state changes that reach Vigil inside AWS (not over HTTP).

They belong to the built-in `cloudwatch` integration, created on first use, so that their
alerts are deduplicated and routed like any other integration's.
"""

from __future__ import annotations

import json
from typing import Any

from vigil.domain.integrations import Integration
from vigil.domain.parsers import parse
from vigil.services import integrations
from vigil.services.ingest import dedup

BUILTIN_ID = "int_cloudwatch_builtin"


def builtin_integration() -> Integration:
    return integrations.builtin(BUILTIN_ID, "CloudWatch alarms (AlarmTopic / EventBridge)", "cloudwatch")


def receive(event: dict[str, Any]) -> dict[str, Any]:
    # No SNS/EventBridge envelope: the cloudwatch parser takes these over HTTP too, and keeps TopicArn.
    alerts = parse("cloudwatch", event)
    outcomes = dedup.ingest(builtin_integration(), alerts, json.dumps(event, default=str))
    return {"received": len(outcomes), "alerts": [o.as_dict() for o in outcomes]}
