"""Heartbeats: a job or pipeline pings its URL every interval; silence past the grace opens an
incident, the next ping resolves it. Both travel as alerts of one dedup key per heartbeat."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field

from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.clock import iso
from vigil.domain.model import Model

HeartbeatState = Literal["up", "missed"]


class Heartbeat(Model):
    model_config = ConfigDict(frozen=True)

    heartbeat_id: str
    name: str
    interval_seconds: int
    grace_seconds: int
    service_id: str | None = None
    state: HeartbeatState = "up"
    created_at: str
    last_ping_at: str | None = None
    due_at: str = Field(description="a ping must arrive before this moment")
    token_prefix: str

    def public(self) -> dict[str, Any]:
        return self.model_dump()


def due_after(moment: datetime, interval_seconds: int, grace_seconds: int) -> str:
    return iso(moment + timedelta(seconds=interval_seconds + grace_seconds))


def dedup_key(heartbeat: Heartbeat) -> str:
    return f"heartbeat:{heartbeat.heartbeat_id}"


def missed_alert(heartbeat: Heartbeat) -> NormalizedAlert:
    last = heartbeat.last_ping_at or "never"
    return _alert(
        heartbeat,
        AlertStatus.FIRING,
        f"Heartbeat missed: {heartbeat.name}",
        f"No ping since {last}; expected every {heartbeat.interval_seconds}s "
        f"(grace {heartbeat.grace_seconds}s), due by {heartbeat.due_at}.",
    )


def recovered_alert(heartbeat: Heartbeat) -> NormalizedAlert:
    return _alert(heartbeat, AlertStatus.RESOLVED, f"Heartbeat missed: {heartbeat.name}", "Pinged again.")


def _alert(heartbeat: Heartbeat, status: AlertStatus, title: str, description: str) -> NormalizedAlert:
    return NormalizedAlert(
        source="heartbeat",
        dedup_key=dedup_key(heartbeat),
        status=status,
        title=title,
        description=description,
        category="heartbeat",
        labels={"heartbeat": heartbeat.name, "heartbeat_id": heartbeat.heartbeat_id},
    )
