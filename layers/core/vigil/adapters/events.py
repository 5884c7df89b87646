"""Incident events out, on the stack's EventBridge bus (schema: docs/api.md#events)."""

from __future__ import annotations

import json
from typing import Any

from vigil.adapters.aws import call
from vigil.config import settings

SOURCE = "vigil"


def put_event(detail_type: str, detail: dict[str, Any]) -> None:
    call(
        "events",
        "put_events",
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, default=str),
                "EventBusName": settings().event_bus,
            }
        ],
    )
