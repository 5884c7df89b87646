"""Heartbeats: create, list, delete, ping, and the minute's check for missed ones.

A miss and the ping that ends it are alerts of the built-in `heartbeats` integration (routed to
the heartbeat's service), so the normal incident path opens, pages and resolves the incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigil.adapters import stores
from vigil.domain.alerts import AlertOutcome, NormalizedAlert
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidInput, NotFound, Unauthorized
from vigil.domain.heartbeats import Heartbeat, due_after, missed_alert, recovered_alert
from vigil.domain.secrets import hash_secret, new_id, new_secret
from vigil.observability import count, logger
from vigil.services import integrations
from vigil.services.ingest import dedup

TOKEN_PREFIX = "vgh"  # noqa: S105 - a label, not a secret
BUILTIN_ID = "int_heartbeats_builtin"


def create(
    name: str, interval_seconds: int, grace_seconds: int, service_id: str | None
) -> tuple[dict[str, Any], str]:
    if service_id is not None and stores.services.find(service_id) is None:
        raise InvalidInput("service_id", f"no service {service_id!r}")
    token, now = new_secret(TOKEN_PREFIX), utcnow()
    heartbeat = Heartbeat(
        heartbeat_id=new_id("hb"),
        name=name,
        interval_seconds=interval_seconds,
        grace_seconds=grace_seconds,
        service_id=service_id,
        created_at=iso(now),
        due_at=due_after(now, interval_seconds, grace_seconds),
        token_prefix=token[:8],
    )
    stores.heartbeats.create(heartbeat, hash_secret(token))
    return heartbeat.public(), token


def list_all() -> list[dict[str, Any]]:
    return [heartbeat.public() for heartbeat in stores.heartbeats.all_stored()]


def _found(heartbeat_id: str) -> tuple[Heartbeat, str]:
    found = stores.heartbeats.find(heartbeat_id)
    if found is None:
        raise NotFound(f"no heartbeat {heartbeat_id}")
    return found


def get(heartbeat_id: str) -> dict[str, Any]:
    return _found(heartbeat_id)[0].public()


def delete(heartbeat_id: str) -> dict[str, Any]:
    heartbeat, token_hash = _found(heartbeat_id)
    stores.heartbeats.delete(token_hash)
    return heartbeat.public()


def ping(token: str | None) -> dict[str, Any]:
    """Record a ping; a ping that ends a miss resolves its incident."""
    if not token or len(token) > 200:
        raise Unauthorized("unknown heartbeat token")
    token_hash = hash_secret(token)
    heartbeat = stores.heartbeats.by_token_hash(token_hash)
    if heartbeat is None:
        raise Unauthorized("unknown heartbeat token")
    now = utcnow()
    due = due_after(now, heartbeat.interval_seconds, heartbeat.grace_seconds)
    before = stores.heartbeats.record_ping(token_hash, heartbeat, iso(now), due)
    if before is None:
        raise Unauthorized("unknown heartbeat token")
    recovered = before.state == "missed"
    if recovered:
        _send(before, recovered_alert(before))
    return {
        **before.model_copy(update={"state": "up", "last_ping_at": iso(now), "due_at": due}).public(),
        "recovered": recovered,
    }


def check(now: datetime) -> dict[str, Any]:
    """Open an incident for every heartbeat overdue at `now`; each miss opens one, however many
    checks run at once (the conditional write in mark_missed picks one)."""
    missed = []
    for heartbeat, token_hash in stores.heartbeats.overdue(iso(now)):
        if stores.heartbeats.mark_missed(token_hash, heartbeat.due_at):
            outcomes = _send(heartbeat, missed_alert(heartbeat))
            missed.append({"heartbeat_id": heartbeat.heartbeat_id, "incident_id": outcomes[0].incident_id})
    if missed:
        count("HeartbeatsMissed", len(missed))
        logger.info("heartbeats missed", extra={"missed": missed})
    return {"missed": missed}


def _send(heartbeat: Heartbeat, alert: NormalizedAlert) -> list[AlertOutcome]:
    integration = integrations.builtin(BUILTIN_ID, "Heartbeats", "generic")
    routed = integration.model_copy(update={"service_id": heartbeat.service_id})
    return dedup.ingest(routed, [alert])
