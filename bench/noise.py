"""Noise reduction on a replayed stream: the 43-event Datadog capture and a generated storm.
The original spec claims "80%+ reduction in duplicate alerts": measured as pages sent / alerts received,
with every incident that should exist accounted for."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from bench.latency import post, webhook_integration
from bench.sink import Sink
from local.runtime import Runtime

PAYLOADS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "payloads"


def _datadog_integration(runtime: Runtime) -> str:
    created = post(
        f"{runtime.url}/api/integrations",
        {"name": "bench datadog", "kind": "datadog", "settings": {"rate_limit_per_minute": 100000}},
        runtime.api_key,
    )
    return f"{runtime.url}/api/hooks/{created['token']}"


def _storm(size: int, services: int = 12) -> list[dict[str, Any]]:
    """Each service fails once and keeps re-sending while it is down, then recovers."""
    rng = random.Random(7)
    events: list[dict[str, Any]] = []
    for service in range(services):
        key = f"storm-svc-{service}"
        repeats = max(1, size // services - 1)
        events += [{"title": key, "dedup_key": key, "severity": "high"}] * repeats
        events.append({"title": key, "dedup_key": key, "severity": "high", "status": "resolved"})
    rng.shuffle(events[: len(events)])
    return events


def measure(runtime: Runtime, storm_size: int = 600) -> dict[str, Any]:
    capture = json.loads((PAYLOADS / "datadog_webhook_capture_43_events_keep.json").read_text())
    with Sink() as sink:
        webhook_integration(runtime, sink)
        hook = _datadog_integration(runtime)
        datadog = [post(hook, body) for body in capture]
        generic = webhook_integration(runtime, sink)
        storm = [post(generic, event) for event in _storm(storm_size)]
        time.sleep(3)  # the last pages
    received = len(capture) + len(storm)
    incidents = {a["incident_id"] for r in datadog + storm for a in r["alerts"] if a["incident_id"]}
    pages = len(sink.bodies)
    return {
        "alerts_received": received,
        "incidents_opened": len(incidents),
        "pages_sent": pages,
        "pages_per_alert": round(pages / received, 4),
        "reduction": round(1 - pages / received, 4),
        "incidents_missed": len(_missed(datadog)) + len(_missed(storm)),
    }


def _missed(replies: list[dict[str, Any]]) -> set[str]:
    """Alerts that fired but are on no incident: must be none."""
    fired = {a["dedup_key"] for r in replies for a in r["alerts"] if a["status"] == "firing"}
    covered = {a["dedup_key"] for r in replies for a in r["alerts"] if a["incident_id"]}
    return fired - covered
