"""The front door: normalize → dedup (one conditional UpdateItem) → open or join an incident.

Write budget (DESIGN.md section 6): a duplicate is one UpdateItem and no read; a new alert that
opens an incident is the upsert, the incident put and the link (3 writes) plus StartExecution.
Every step after the upsert is idempotent, so a retry after a crash finishes the job instead
of paging twice: the incident id and execution name derive from the alert and its episode.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vigil.adapters import dynamo
from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidTransition
from vigil.domain.incidents import Status
from vigil.observability import count, logger
from vigil.services import escalation, incidents, lifecycle, routing

CORRELATION_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    alert_id: str
    dedup_key: str
    status: str
    action: str  # opened | joined | duplicate | resolved | acknowledged | recorded | suppressed
    incident_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def alert_id_for(integration_id: str, dedup_key: str) -> str:
    digest = hashlib.sha256(f"{integration_id}\x1f{dedup_key}".encode()).hexdigest()
    return f"alr_{digest[:24]}"


def alert_pk(alert_id: str) -> str:
    return f"ALERT#{alert_id}"


def ingest(integration: dict[str, Any], alerts: list[NormalizedAlert]) -> list[Outcome]:
    count("AlertsReceived", len(alerts))
    return [record_alert(integration, alert, utcnow()) for alert in alerts]


def record_alert(integration: dict[str, Any], alert: NormalizedAlert, now: datetime) -> Outcome:
    alert_id = alert_id_for(integration["integration_id"], alert.dedup_key)
    if alert.status is AlertStatus.RESOLVED:
        return _resolve(alert_id, alert, now)
    if alert.status is AlertStatus.ACKNOWLEDGED:
        return _acknowledge(alert_id, alert)
    pages = (
        alert.status is AlertStatus.FIRING
        or (alert.status is AlertStatus.UNKNOWN and integration.get("settings", {}).get("page_on_unknown"))
    ) and routing.load_alerting_rules().opens_incident(alert.severity)
    stored = _upsert(alert_id, integration, alert, now, firing=bool(pages))
    if stored.get("incident_id"):
        count("AlertsDeduplicated")
        return Outcome(alert_id, alert.dedup_key, alert.status.value, "duplicate", stored["incident_id"])
    if alert.suppressed or not pages:
        return Outcome(
            alert_id, alert.dedup_key, alert.status.value, "suppressed" if alert.suppressed else "recorded"
        )
    return _open_or_join(integration, alert_id, alert, stored, now)


def _upsert(
    alert_id: str, integration: dict[str, Any], alert: NormalizedAlert, now: datetime, *, firing: bool
) -> dict[str, Any]:
    """The one write of a duplicate: store the latest state, count the occurrence."""
    stamp = iso(now)
    values = {
        ":source": alert.source,
        ":integration": integration["integration_id"],
        ":dedup": alert.dedup_key,
        ":title": alert.title,
        ":description": alert.description,
        ":severity": alert.severity.value,
        ":category": alert.category,
        ":labels": alert.labels,
        ":status": alert.status.value,
        ":url": alert.source_url,
        ":now": stamp,
        ":one": 1,
        ":index": "ALERTS",
        ":sort": f"{stamp}#{alert_id}",
        ":suppressed": alert.suppressed,
        ":alert_id": alert_id,
        ":correlation": alert.correlation_key,
    }
    values = {k: v for k, v in values.items() if v is not None}
    sets = [
        "alert_id = :alert_id",
        "#source = :source",
        "integration_id = :integration",
        "dedup_key = :dedup",
        "title = :title",
        "description = :description",
        "severity = :severity",
        "labels = :labels",
        "#status = :status",
        "last_seen = :now",
        "first_seen = if_not_exists(first_seen, :now)",
        "gsi2pk = :index",
        "gsi2sk = if_not_exists(gsi2sk, :sort)",
        "suppressed = :suppressed",
    ]
    sets += [
        f"{name} = {value}"
        for name, value in (
            ("category", ":category"),
            ("source_url", ":url"),
            ("correlation_key", ":correlation"),
        )
        if value in values
    ]
    if firing:
        sets.append("episode_started = if_not_exists(episode_started, :now)")
    expression = "SET " + ", ".join(sets) + " ADD occurrences :one"
    return dynamo.update(
        alert_pk(alert_id), "ALERT", expression, values, names={"#status": "status", "#source": "source"}
    )


def _open_or_join(
    integration: dict[str, Any], alert_id: str, alert: NormalizedAlert, stored: dict[str, Any], now: datetime
) -> Outcome:
    episode = stored["episode_started"]
    own_id = incidents.incident_id_for(alert_id, episode)
    pointer = _claim_correlation(integration, alert, own_id, now)
    if pointer is not None and pointer != own_id:
        return _join(alert_id, alert, episode, pointer)
    record = incidents.record_from_alert(alert, own_id, now)
    record["firing_alerts"] = 1
    if alert.correlation_key:
        record["correlation_pointer"] = _correlation_pk(integration, alert)
    if incidents.put_new_incident(record):
        logger.info("incident opened", extra={"incident_id": own_id, "alert_id": alert_id})
    escalation.start_ladder(own_id)
    _link(alert_id, own_id, episode)
    return Outcome(alert_id, alert.dedup_key, alert.status.value, "opened", own_id)


def _correlation_pk(integration: dict[str, Any], alert: NormalizedAlert) -> str:
    digest = hashlib.sha256(
        f"{integration['integration_id']}\x1f{alert.correlation_key}".encode()
    ).hexdigest()
    return f"CORRELATION#{digest[:32]}"


def _claim_correlation(
    integration: dict[str, Any], alert: NormalizedAlert, own_id: str, now: datetime
) -> str | None:
    """The incident alerts of this correlation key go to: ours if the window is free."""
    if not alert.correlation_key:
        return None
    try:
        dynamo.update(
            _correlation_pk(integration, alert),
            "POINTER",
            "SET incident_id = :own, #until = :until, expires_at = :expires",
            {
                ":own": own_id,
                ":until": iso(now + CORRELATION_WINDOW),
                ":now": iso(now),
                ":expires": int((now + CORRELATION_WINDOW + timedelta(days=1)).timestamp()),
            },
            names={"#until": "until"},
            condition="attribute_not_exists(incident_id) OR #until < :now OR incident_id = :own",
        )
    except Exception as error:
        if not dynamo.is_conditional_failure(error):
            raise
        existing = getattr(error, "response", {}).get("Item")
        return str(dynamo.deserialize(existing)["incident_id"]) if existing else own_id
    return own_id


def _join(alert_id: str, alert: NormalizedAlert, episode: str, incident_id: str) -> Outcome:
    if _link(alert_id, incident_id, episode):
        incidents.update_if_exists(incident_id, "ADD alert_count :one, firing_alerts :one", {":one": 1})
        incidents.add_timeline(
            incident_id,
            "alert",
            f"alert joined: {alert.title}",
            data={"alert_id": alert_id, "dedup_key": alert.dedup_key},
            entry_id=f"joined-{alert_id}-{episode}",
        )
    return Outcome(alert_id, alert.dedup_key, alert.status.value, "joined", incident_id)


def _link(alert_id: str, incident_id: str, episode: str) -> bool:
    """Point the alert at its incident, once per episode; False if it already was."""
    try:
        dynamo.update(
            alert_pk(alert_id),
            "ALERT",
            "SET incident_id = :incident, gsi1pk = :pk, gsi1sk = :sk",
            {
                ":incident": incident_id,
                ":pk": incidents.incident_pk(incident_id),
                ":sk": f"ALERT#{episode}#{alert_id}",
                ":episode": episode,
            },
            condition="attribute_not_exists(incident_id) AND episode_started = :episode",
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            return False
        raise
    return True


def _resolve(alert_id: str, alert: NormalizedAlert, now: datetime) -> Outcome:
    try:
        old = dynamo.update(
            alert_pk(alert_id),
            "ALERT",
            "SET #status = :resolved, resolved_at = :now, last_seen = :now "
            "REMOVE incident_id, episode_started",
            {":resolved": AlertStatus.RESOLVED.value, ":now": iso(now)},
            names={"#status": "status"},
            condition="attribute_exists(pk)",
            returns="ALL_OLD",
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):  # a resolve for an alert we never saw firing
            return Outcome(alert_id, alert.dedup_key, "resolved", "recorded")
        raise
    incident_id = old.get("incident_id")
    if incident_id:
        _alert_resolved(incident_id, alert)
    return Outcome(alert_id, alert.dedup_key, "resolved", "resolved", incident_id)


def _alert_resolved(incident_id: str, alert: NormalizedAlert) -> None:
    updated = incidents.update_if_exists(incident_id, "ADD firing_alerts :minus", {":minus": -1})
    if updated is None:
        return  # the incident was deleted
    remaining = int(updated.get("firing_alerts", 0))
    incidents.add_timeline(
        incident_id,
        "alert",
        f"alert resolved at source: {alert.title}",
        data={"dedup_key": alert.dedup_key, "still_firing": remaining},
    )
    if remaining > 0:
        return
    try:
        lifecycle.transition(
            incident_id,
            Status.RESOLVED,
            actor=f"alert:{alert.source}",
            reason="every alert resolved at its source",
        )
    except InvalidTransition:
        return  # already resolved or closed by a person


def _acknowledge(alert_id: str, alert: NormalizedAlert) -> Outcome:
    stored = dynamo.get(alert_pk(alert_id), "ALERT")
    incident_id = (stored or {}).get("incident_id")
    if not incident_id:
        return Outcome(alert_id, alert.dedup_key, "acknowledged", "recorded")
    with contextlib.suppress(InvalidTransition):  # already acknowledged, resolved or closed
        lifecycle.transition(
            incident_id,
            Status.ACKNOWLEDGED,
            actor=f"alert:{alert.source}",
            reason="acknowledged at the source",
        )
    return Outcome(alert_id, alert.dedup_key, "acknowledged", "acknowledged", incident_id)
