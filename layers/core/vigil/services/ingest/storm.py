"""Storms: a body with many alerts is answered at once and taken in from a queue.

An Alertmanager or Datadog body in a big outage carries hundreds of alerts; taking each in
within the request would outlive the ingest function's timeout and the sender's patience. The
ingest function instead writes the parsed alerts to StormQueue in parts (a few SQS messages
for any body within the size limit) and answers 202; the storm function takes each part in
as the request would have, with the same dedup and grouping, so a storm still becomes one
incident and one page per group. Nothing is dropped: a part that fails is retried by the
queue, then kept in its dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from vigil.adapters import stores, storm_queue
from vigil.domain.alerts import AlertOutcome, NormalizedAlert
from vigil.domain.integrations import Integration
from vigil.domain.model import Model
from vigil.observability import count, logger
from vigil.services.ingest import dedup

INLINE_LIMIT = 50  # up to this many alerts are taken in within the request (well under a second)
PART_ALERTS = 50
PART_BYTES = 200 * 1024  # under SQS's 256 KiB message limit, with room for the envelope


def is_storm(alerts: list[NormalizedAlert]) -> bool:
    return len(alerts) > INLINE_LIMIT


def hand_over(queue_url: str, integration: Integration, alerts: list[NormalizedAlert]) -> int:
    """Queue the alerts in parts; the number of parts."""
    parts = list(_parts([alert.model_dump(mode="json") for alert in alerts]))
    for part in parts:
        storm_queue.send(
            queue_url, json.dumps({"integration_id": integration.integration_id, "alerts": part})
        )
    count("StormAlertsQueued", len(alerts))
    return len(parts)


def _parts(alerts: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    part: list[dict[str, object]] = []
    size = 0
    for alert in alerts:
        encoded = len(json.dumps(alert))
        if part and (len(part) >= PART_ALERTS or size + encoded > PART_BYTES):
            yield part
            part, size = [], 0
        part.append(alert)
        size += encoded
    if part:
        yield part


class StormPart(Model):
    """One message on StormQueue, as `hand_over` writes it (the storm function parses it)."""

    integration_id: str
    alerts: list[NormalizedAlert]


def take_in(part: StormPart) -> list[AlertOutcome]:
    """One part of a storm, taken in as the request would have taken it."""
    integration = stores.integrations.find(part.integration_id)
    if integration is None:  # deleted since: its token no longer takes alerts either
        logger.warning("storm part of a deleted integration", extra={"integration": part.integration_id})
        return []
    return dedup.ingest(integration, part.alerts)
