"""The front door: normalize → dedup (one UpdateItem) → open or join an incident.

Write budget (docs/design.md): a duplicate is one UpdateItem and no read; a new alert that
opens an incident is the upsert, the incident put and the link (3 writes) plus StartExecution.

An alert lives through *episodes*: one starts when it fires after being resolved (or for the
first time), and each episode opens or joins one incident. The upsert keeps
`episode_started` with if_not_exists, so concurrent copies of one alert agree on the episode;
the incident id and execution name derive from (alert, episode), so every step after the
upsert is idempotent and a retry after a crash finishes the job instead of paging twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vigil.adapters import dynamo
from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.clock import iso, parse_iso, utcnow
from vigil.domain.errors import InvalidTransition, NotFound
from vigil.domain.flapping import KEEP_CHANGES, is_flapping, recent_changes
from vigil.domain.incidents import PAGING_STATES, Status
from vigil.domain.silences import MaintenanceWindow, silenced_by
from vigil.observability import count, logger
from vigil.services import escalation, incidents, lifecycle, routing, silences

DEFAULT_WINDOW = timedelta(minutes=10)
# What one alert item keeps, far below DynamoDB's 400 KB item limit whatever a sender sends.
RAW_LIMIT = 16 * 1024  # characters of the raw payload
DESCRIPTION_LIMIT = 10_000
DETAILS_LIMIT = 32 * 1024
DETAILS_DEPTH = 16
LABELS_LIMIT = 100  # labels, each value cut at 1 KiB


@dataclass(frozen=True)
class Outcome:
    alert_id: str
    dedup_key: str
    status: str
    # opened | joined | duplicate | resolved | acknowledged | recorded | suppressed | silenced
    action: str
    incident_id: str | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def alert_id_for(integration_id: str, dedup_key: str) -> str:
    digest = hashlib.sha256(f"{integration_id}\x1f{dedup_key}".encode()).hexdigest()
    return f"alr_{digest[:24]}"


def alert_pk(alert_id: str) -> str:
    return f"ALERT#{alert_id}"


def window_of(integration: dict[str, Any]) -> timedelta:
    seconds = (integration.get("settings") or {}).get("correlation_window_seconds")
    return timedelta(seconds=int(seconds)) if seconds else DEFAULT_WINDOW


def ingest(integration: dict[str, Any], alerts: list[NormalizedAlert], raw: str = "") -> list[Outcome]:
    count("AlertsReceived", len(alerts))
    return [record_alert(integration, alert, utcnow(), raw) for alert in alerts]


def record_alert(
    integration: dict[str, Any], alert: NormalizedAlert, now: datetime, raw: str = ""
) -> Outcome:
    alert_id = alert_id_for(integration["integration_id"], alert.dedup_key)
    if alert.status is AlertStatus.RESOLVED:
        return _resolve(alert_id, integration, alert, now, raw)
    if alert.status is AlertStatus.ACKNOWLEDGED:
        return _acknowledge(alert_id, alert)
    quiet_by = _quiet_by(integration, alert, now)
    pages = _should_page(integration, alert) and not quiet_by
    stored = _upsert(alert_id, integration, alert, now, quiet_by=quiet_by, raw=raw, firing=pages)
    if not pages:
        action = "silenced" if quiet_by else "suppressed" if alert.suppressed else "recorded"
        return Outcome(
            alert_id,
            alert.dedup_key,
            alert.status.value,
            action,
            stored.get("incident_id"),
            reason=quiet_by or "",
        )
    if stored.get("incident_episode") == stored["episode_started"]:
        if _fresh(stored, now, window_of(integration)) or _incident_active(stored["incident_id"]):
            count("AlertsDeduplicated")
            return Outcome(
                alert_id,
                alert.dedup_key,
                "firing",
                "duplicate",
                stored["incident_id"],
                reason="repeat of a firing alert within its correlation window",
            )
        stored = _restart_episode(alert_id, stored, now)
    return _open_or_join(integration, alert_id, alert, stored, now)


def _should_page(integration: dict[str, Any], alert: NormalizedAlert) -> bool:
    settings = integration.get("settings") or {}
    firing = alert.status is AlertStatus.FIRING or (
        alert.status is AlertStatus.UNKNOWN and bool(settings.get("page_on_unknown"))
    )
    return firing and not alert.suppressed and routing.load_alerting_rules().opens_incident(alert.severity)


def _quiet_by(integration: dict[str, Any], alert: NormalizedAlert, now: datetime) -> str:
    windows = [
        MaintenanceWindow.model_validate(w)
        for w in (integration.get("settings") or {}).get("maintenance_windows", [])
    ]
    return silenced_by(alert, silences.active(), windows, now)


def _fresh(stored: dict[str, Any], now: datetime, window: timedelta) -> bool:
    return now - parse_iso(stored.get("prev_seen") or stored["last_seen"]) <= window


def _incident_active(incident_id: str) -> bool:
    """Read only for a repeat after a long silence: is its incident still being worked?"""
    record = dynamo.get(incidents.incident_pk(incident_id), "META") or {}
    return record.get("status") in {s.value for s in (*PAGING_STATES, Status.ACKNOWLEDGED)}


def _upsert(
    alert_id: str,
    integration: dict[str, Any],
    alert: NormalizedAlert,
    now: datetime,
    *,
    quiet_by: str,
    raw: str,
    firing: bool,
) -> dict[str, Any]:
    """The one write of a duplicate: store the latest state, count the occurrence."""
    stamp = iso(now)
    values: dict[str, Any] = {
        ":source": alert.source,
        ":integration": integration["integration_id"],
        ":dedup": alert.dedup_key,
        ":title": alert.title,
        ":description": alert.description[:DESCRIPTION_LIMIT],
        ":severity": alert.severity.value,
        ":labels": _bounded_labels(alert.labels),
        ":status": alert.status.value,
        ":now": stamp,
        ":one": 1,
        ":index": "ALERTS",
        ":sort": f"{stamp}#{alert_id}",
        ":suppressed": alert.suppressed,
        ":alert_id": alert_id,
        ":quiet": quiet_by,
        ":raw": raw[:RAW_LIMIT],
        ":category": alert.category,
        ":url": alert.source_url,
        ":correlation": alert.correlation_key,
        ":details": _bounded_details(alert.details),
    }
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
        "prev_seen = if_not_exists(last_seen, :now)",
        "last_seen = :now",
        "first_seen = if_not_exists(first_seen, :now)",
        "gsi2pk = :index",
        "gsi2sk = if_not_exists(gsi2sk, :sort)",
        "suppressed = :suppressed",
        "silenced_by = :quiet",
        "raw_payload = :raw",
        "category = :category",
        "source_url = :url",
        "correlation_key = :correlation",
        "details = :details",
    ]
    if firing:
        sets.append("episode_started = if_not_exists(episode_started, :now)")
    expression = "SET " + ", ".join(sets) + " ADD occurrences :one"
    return dynamo.update(
        alert_pk(alert_id), "ALERT", expression, values, names={"#status": "status", "#source": "source"}
    )


def _bounded_labels(labels: dict[str, str]) -> dict[str, str]:
    return incidents.bounded_labels(labels, LABELS_LIMIT)


def _bounded_details(details: dict[str, Any]) -> dict[str, Any]:
    kept = _storable(details, DETAILS_DEPTH)
    text = json.dumps(kept, default=str)
    return kept if len(text) <= DETAILS_LIMIT else {"truncated": True, "json": text[:DETAILS_LIMIT]}


def _storable(value: Any, depth: int) -> Any:
    """What a sender sent, as DynamoDB can keep it: no empty map keys (refused), numbers of at
    most 38 digits, and below `depth` levels of nesting (DynamoDB allows 32) the JSON text."""
    if isinstance(value, dict | list) and depth == 0:
        return json.dumps(value, default=str)
    if isinstance(value, dict):
        return {k: _storable(v, depth - 1) for k, v in value.items() if k}
    if isinstance(value, list):
        return [_storable(v, depth - 1) for v in value]
    if isinstance(value, int) and abs(value) >= 10**38:
        return str(value)
    return value


def _restart_episode(alert_id: str, stored: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Still firing, silent for longer than the window, and its incident is over: a new episode."""
    try:
        return dynamo.update(
            alert_pk(alert_id),
            "ALERT",
            "SET episode_started = :now",
            {":now": iso(now), ":old": stored["episode_started"]},
            condition="episode_started = :old",
        )
    except Exception as error:
        if not dynamo.is_conditional_failure(error):
            raise
        return dynamo.deserialize(getattr(error, "response", {}).get("Item") or {}) or stored


def _open_or_join(
    integration: dict[str, Any], alert_id: str, alert: NormalizedAlert, stored: dict[str, Any], now: datetime
) -> Outcome:
    episode = stored["episode_started"]
    flapping = stored.get("incident_id") and is_flapping(stored.get("changes", []), now)
    if flapping and _still_or_again_open(stored["incident_id"], alert):
        return _rejoin_flapping(alert_id, alert, episode, stored, now)
    own_id = incidents.incident_id_for(alert_id, episode)
    pointer = _claim_correlation(integration, alert, own_id, now)
    if pointer is not None and pointer != own_id:
        return _join(alert_id, alert, episode, pointer)
    record = incidents.record_from_alert(alert, own_id, now)
    record["firing_alerts"] = 1
    if alert.correlation_key:
        record["correlation_pointer"] = _correlation_pk(integration, alert)
    opened = incidents.put_new_incident(record)
    if opened:
        logger.info("incident opened", extra={"incident_id": own_id, "alert_id": alert_id})
    escalation.start_ladder(own_id)  # idempotent: also finishes the job of a crashed earlier try
    linked = _link(alert_id, own_id, episode, now)
    if opened or linked:
        return Outcome(alert_id, alert.dedup_key, "firing", "opened", own_id, reason="new alert")
    count("AlertsDeduplicated")
    return Outcome(
        alert_id,
        alert.dedup_key,
        "firing",
        "duplicate",
        own_id,
        reason="a concurrent copy of this alert opened the incident",
    )


def _still_or_again_open(incident_id: str, alert: NormalizedAlert) -> bool:
    """The flapping alert's incident, reopened (with its ladder) if a person resolved it;
    False if it is closed or gone, and a new incident is due."""
    if _incident_active(incident_id):
        return True
    try:
        lifecycle.transition(
            incident_id, Status.OPEN, actor=f"alert:{alert.source}", reason="a flapping alert fired again"
        )
    except (InvalidTransition, NotFound):
        return False
    return True


def _rejoin_flapping(
    alert_id: str, alert: NormalizedAlert, episode: str, stored: dict[str, Any], now: datetime
) -> Outcome:
    """A flapping alert goes back to its incident (kept open while it flaps): no new page."""
    incident_id = stored["incident_id"]
    if _link(alert_id, incident_id, episode, now):
        changes = recent_changes(stored.get("changes", []), now)
        incidents.add_timeline(
            incident_id,
            "alert",
            f"alert fired again while flapping ({changes} changes): {alert.title}",
            data={"alert_id": alert_id, "changes": changes},
            entry_id=f"flap-{alert_id}-{episode}",
        )
        incidents.update_if_exists(incident_id, "ADD firing_alerts :one", {":one": 1})
    return Outcome(alert_id, alert.dedup_key, "firing", "joined", incident_id, reason="flapping")


def _correlation_pk(integration: dict[str, Any], alert: NormalizedAlert) -> str:
    digest = hashlib.sha256(
        f"{integration['integration_id']}\x1f{alert.correlation_key}".encode()
    ).hexdigest()
    return f"CORRELATION#{digest[:32]}"


def _claim_correlation(
    integration: dict[str, Any], alert: NormalizedAlert, own_id: str, now: datetime
) -> str | None:
    """The incident that alerts of this correlation key go to: ours if the window is free."""
    if not alert.correlation_key:
        return None
    window = window_of(integration)
    try:
        dynamo.update(
            _correlation_pk(integration, alert),
            "POINTER",
            "SET incident_id = :own, #until = :until, expires_at = :expires",
            {
                ":own": own_id,
                ":until": iso(now + window),
                ":now": iso(now),
                ":expires": int((now + window + timedelta(days=1)).timestamp()),
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
    if _link(alert_id, incident_id, episode, None):
        incidents.update_if_exists(incident_id, "ADD alert_count :one, firing_alerts :one", {":one": 1})
        incidents.add_timeline(
            incident_id,
            "alert",
            f"alert joined: {alert.title}",
            data={"alert_id": alert_id, "dedup_key": alert.dedup_key},
            entry_id=f"joined-{alert_id}-{episode}",
        )
    return Outcome(
        alert_id,
        alert.dedup_key,
        "firing",
        "joined",
        incident_id,
        reason=f"correlated by {alert.correlation_key}",
    )


def _link(alert_id: str, incident_id: str, episode: str, changed_at: datetime | None) -> bool:
    """Point the alert's current episode at its incident, once; False if it already was."""
    expression = "SET incident_id = :incident, incident_episode = :episode, gsi1pk = :pk, gsi1sk = :sk"
    values: dict[str, Any] = {
        ":incident": incident_id,
        ":pk": incidents.incident_pk(incident_id),
        ":sk": f"ALERT#{episode}#{alert_id}",
        ":episode": episode,
    }
    if changed_at is not None:  # a firing after a resolve is a state change (for flapping)
        expression += ", changes = list_append(if_not_exists(changes, :empty), :change)"
        values.update({":empty": [], ":change": [iso(changed_at)]})
    try:
        dynamo.update(
            alert_pk(alert_id),
            "ALERT",
            expression,
            values,
            condition="episode_started = :episode AND "
            "(attribute_not_exists(incident_episode) OR incident_episode <> :episode)",
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            return False
        raise
    return True


def _resolve(
    alert_id: str, integration: dict[str, Any], alert: NormalizedAlert, now: datetime, raw: str
) -> Outcome:
    try:
        old = dynamo.update(
            alert_pk(alert_id),
            "ALERT",
            "SET #status = :resolved, resolved_at = :now, last_seen = :now, "
            "changes = list_append(if_not_exists(changes, :empty), :change) REMOVE episode_started",
            {":resolved": AlertStatus.RESOLVED.value, ":now": iso(now), ":empty": [], ":change": [iso(now)]},
            names={"#status": "status"},
            condition="attribute_exists(pk) AND #status <> :resolved",
            returns="ALL_OLD",
        )
    except Exception as error:
        if not dynamo.is_conditional_failure(error):
            raise
        # Never seen firing, or resolved already: stored as it is, not a state change.
        seen = bool(getattr(error, "response", {}).get("Item"))
        _upsert(alert_id, integration, alert, now, quiet_by="", raw=raw, firing=False)
        return Outcome(
            alert_id,
            alert.dedup_key,
            "resolved",
            "recorded",
            reason="already resolved" if seen else "never seen firing",
        )
    _trim_changes(alert_id, old.get("changes", []))
    linked = old.get("episode_started") and old.get("incident_episode") == old.get("episode_started")
    if not linked:
        return Outcome(alert_id, alert.dedup_key, "resolved", "resolved", old.get("incident_id"))
    incident_id = old["incident_id"]
    _alert_resolved(incident_id, alert, flapping=is_flapping([*old.get("changes", []), iso(now)], now))
    return Outcome(alert_id, alert.dedup_key, "resolved", "resolved", incident_id)


def _trim_changes(alert_id: str, changes: list[str]) -> None:
    if len(changes) >= 2 * KEEP_CHANGES:
        dynamo.update(alert_pk(alert_id), "ALERT", "SET changes = :kept", {":kept": changes[-KEEP_CHANGES:]})


def _alert_resolved(incident_id: str, alert: NormalizedAlert, *, flapping: bool) -> None:
    updated = incidents.update_if_exists(incident_id, "ADD firing_alerts :minus", {":minus": -1})
    if updated is None:
        return  # the incident was deleted
    remaining = int(updated.get("firing_alerts", 0))
    note = " (flapping: the incident stays open)" if flapping else ""
    incidents.add_timeline(
        incident_id,
        "alert",
        f"alert resolved at source: {alert.title}{note}",
        data={"dedup_key": alert.dedup_key, "still_firing": remaining, "flapping": flapping},
    )
    if remaining > 0 or flapping or not routing.load_alerting_rules().resolve_incidents_with_alerts:
        return
    with contextlib.suppress(InvalidTransition):  # already resolved or closed by a person
        lifecycle.transition(
            incident_id,
            Status.RESOLVED,
            actor=f"alert:{alert.source}",
            reason="every alert resolved at its source",
        )


def _acknowledge(alert_id: str, alert: NormalizedAlert) -> Outcome:
    stored = dynamo.get(alert_pk(alert_id), "ALERT")
    incident_id = (stored or {}).get("incident_id")
    if not incident_id:
        return Outcome(
            alert_id, alert.dedup_key, "acknowledged", "recorded", reason="no incident to acknowledge"
        )
    with contextlib.suppress(InvalidTransition):  # already acknowledged, resolved or closed
        lifecycle.transition(
            incident_id,
            Status.ACKNOWLEDGED,
            actor=f"alert:{alert.source}",
            reason="acknowledged at the source",
        )
    return Outcome(alert_id, alert.dedup_key, "acknowledged", "acknowledged", incident_id)
