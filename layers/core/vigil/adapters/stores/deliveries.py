"""The delivery ledger: one item per delivery id, claimed before sending so that a
redelivered message is sent once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from vigil.adapters import dynamo
from vigil.domain.clock import iso
from vigil.domain.deliveries import DeliveryMessage, StoredDelivery

SK = "DELIVERY"
INDEX = "DELIVERIES"
KEPT_FOR = timedelta(days=30)


def _pk(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"


def claim(message: DeliveryMessage, *, now: datetime, lease_until: datetime) -> list[str] | None:
    """Take the message's delivery (only if it is new, failed, or its sender's lease has lapsed):
    the destinations earlier attempts reached, or None when it is not ours to take. The ledger
    keeps the message as it was published, for a replay."""
    delivery_id, incident_id = message.delivery_id, message.ledger_key
    fields = {
        "channel": message.channel,
        "team": message.team,
        "destinations": message.destinations,
        "purpose": message.purpose,
        "incident_id": incident_id,
        "message": json.dumps(message.published()),
    }
    values = {f":{name}": value for name, value in fields.items()}
    sets = ", ".join(f"{name} = :{name}" for name in fields)
    try:
        claimed = dynamo.update(
            _pk(delivery_id),
            SK,
            "SET #s = :sending, lease_until = :lease, updated_at = :now, delivery_id = :id, "
            f"{sets}, created_at = if_not_exists(created_at, :now), gsi1pk = :by_incident, "
            "gsi1sk = if_not_exists(gsi1sk, :now), gsi2pk = :all, gsi2sk = if_not_exists(gsi2sk, :sort), "
            "expires_at = :expires ADD attempts :one",
            {
                **values,
                ":sending": "sending",
                ":lease": iso(lease_until),
                ":now": iso(now),
                ":failed": "failed",
                ":id": delivery_id,
                ":by_incident": f"{INDEX}#{incident_id}",
                ":all": INDEX,
                ":sort": f"{iso(now)}#{delivery_id}",
                ":one": 1,
                ":expires": int((now + KEPT_FOR).timestamp()),
            },
            names={"#s": "status"},
            condition="attribute_not_exists(pk) OR #s = :failed OR (#s = :sending AND lease_until < :now)",
        )
    except dynamo.ConditionFailed:
        return None
    return list(claimed.get("sent_to") or [])


def finish(
    delivery_id: str,
    *,
    sent: bool,
    detail: str,
    status_code: int | None,
    now: datetime,
    sent_to: list[str] | None = None,
) -> None:
    """Record the attempt; `sent_to` joins the destinations reached (in the same write)."""
    dynamo.update(
        _pk(delivery_id),
        SK,
        "SET #s = :s, detail = :d, last_status_code = :code, updated_at = :now, "
        "sent_to = list_append(if_not_exists(sent_to, :none), :reached)",
        {
            ":s": "sent" if sent else "failed",
            ":d": detail,
            ":code": status_code,
            ":now": iso(now),
            ":none": [],
            ":reached": sent_to or [],
        },
        names={"#s": "status"},
    )


def find(delivery_id: str) -> StoredDelivery | None:
    item = dynamo.get(_pk(delivery_id), SK, consistent=True)
    return StoredDelivery.model_validate(item) if item else None


def page(
    incident_id: str | None, *, channel: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[StoredDelivery], str | None]:
    """The ledger newest first: of one incident, or of all; of one channel and status, or of any."""
    wanted = {name: value for name, value in (("channel", channel), ("status", status)) if value}
    pk, index = (f"{INDEX}#{incident_id}", "gsi1") if incident_id else (INDEX, "gsi2")
    return dynamo.page(
        pk,
        index,
        StoredDelivery.model_validate,
        lambda delivery: all(getattr(delivery, k) == v for k, v in wanted.items()),
        limit,
        cursor,
    )
