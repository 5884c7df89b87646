"""The delivery ledger: one entry per delivery id (incident, round, rung, team, channel,
purpose), claimed before sending so that a redelivered message is sent once."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from vigil.domain.handoffs import HandoffNotice
from vigil.domain.model import Model
from vigil.domain.teams import shown_destinations


class DeliveryMessage(Model):
    """One notification on NotificationsTopic: what notify and paging publish, what a deliver
    function takes from its queue, and what the ledger keeps for a replay."""

    delivery_id: str
    channel: str
    team: str  # a team's name, `user:<id>`, or the address of a responder paged by hand
    destinations: list[str]
    rung: int
    round: int
    purpose: str = "page"
    incident: dict[str, Any] | None = None  # what the page carries of its incident (notify.snapshot)
    handoff: HandoffNotice | None = None  # or, for a handoff notice, the notice (services/handoffs.py)
    ledger_id: str | None = None  # a handoff notice's ledger entries are under "handoff:<schedule id>"
    not_before: str | None = None  # a person's later notification step, held until then
    until_acknowledged: bool = False  # ... and dropped if the incident is acknowledged or resolved by then

    @model_validator(mode="after")
    def _about_an_incident_or_a_handoff(self) -> DeliveryMessage:
        if (self.incident is None) == (self.handoff is None):
            raise ValueError("a message is about an incident or a handoff, one of them")
        return self

    @property
    def incident_id(self) -> str | None:
        return str(self.incident["incident_id"]) if self.incident else None

    @property
    def ledger_key(self) -> str | None:
        """What its ledger entries are listed under: its incident, or a handoff's `ledger_id`."""
        return self.ledger_id or self.incident_id

    def published(self) -> dict[str, Any]:
        """As it travels and is kept: the fields it was given, so the JSON is as it always was."""
        return self.model_dump(mode="json", exclude_unset=True)


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
