"""The delivery ledger: one entry per delivery id (incident, round, rung, team, channel,
purpose), claimed before sending so that a redelivered message is sent once."""

from __future__ import annotations

from vigil.domain.model import Model


# A ledger entry as callers see it; the item also keeps the message itself (for a replay),
# the sender's lease and its expiry.
class Delivery(Model):
    delivery_id: str
    incident_id: str
    channel: str
    team: str
    destinations: list[str]
    purpose: str
    status: str
    attempts: int
    last_status_code: int | None = None
    detail: str | None = None
    created_at: str
    updated_at: str


LEDGER_FIELDS = tuple(Delivery.model_fields)
