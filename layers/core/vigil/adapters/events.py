"""Incident events out, on the stack's EventBridge bus (schema: docs/api.md#events)."""

from __future__ import annotations

import json
import os
from typing import Any

from vigil.adapters.aws import client

SOURCE = "vigil"


def put_event(detail_type: str, detail: dict[str, Any]) -> None:
    client("events").put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, default=str),
                "EventBusName": os.environ.get("VIGIL_EVENT_BUS", "default"),
            }
        ]
    )
