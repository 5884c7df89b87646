"""The delivery ledger: one entry per delivery id (incident, round, rung, team, channel,
purpose), claimed before sending so that a redelivered message is sent once."""

from __future__ import annotations

from vigil.domain.model import Model
from vigil.domain.teams import shown_destinations


# A ledger entry as callers see it.
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


class StoredDelivery(Delivery):
    """The ledger item as the deliveries store keeps it: also the message itself (for a
    replay) and the destinations already reached (never sent to again)."""

    message: str
    sent_to: list[str] = []

    def shown(self) -> Delivery:
        """The entry as callers see it: destinations by scheme and host only."""
        entry = self.model_dump(include=set(LEDGER_FIELDS))
        return Delivery.model_validate(
            entry | {"destinations": shown_destinations(self.channel, self.destinations)}
        )
