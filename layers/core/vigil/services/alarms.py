"""CloudWatch alarm state changes that reach Vigil inside AWS (not over HTTP).

They belong to the built-in `cloudwatch` integration, created on first use, so that their
alerts are deduplicated and routed like any other integration's.
"""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo
from vigil.domain.clock import iso, utcnow
from vigil.domain.parsers import parse
from vigil.services import ingest

BUILTIN_ID = "int_cloudwatch_builtin"


def builtin_integration() -> dict[str, Any]:
    item = dynamo.get(f"INTEGRATION#{BUILTIN_ID}", "META")
    if item:
        return item
    now = iso(utcnow())
    item = {
        "pk": f"INTEGRATION#{BUILTIN_ID}",
        "sk": "META",
        "gsi1pk": "INTEGRATIONS",
        "gsi1sk": BUILTIN_ID,
        "integration_id": BUILTIN_ID,
        "name": "CloudWatch alarms (AlarmTopic / EventBridge)",
        "kind": "cloudwatch",
        "settings": {},
        "created_at": now,
        "updated_at": now,
        "token_prefix": "none",
        "token_hash": "none",
    }
    dynamo.put(item)
    return item


def receive(event: dict[str, Any]) -> dict[str, Any]:
    alerts = parse("cloudwatch", event)
    outcomes = ingest.ingest(builtin_integration(), alerts)
    return {"received": len(outcomes), "alerts": [o.as_dict() for o in outcomes]}
