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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from vigil.adapters import stores
from vigil.domain.alerts import (
    AlertOutcome,
    AlertStatus,
    NormalizedAlert,
    Severity,
    StoredAlert,
    bounded_labels,
)
from vigil.domain.clock import iso, parse_iso, utcnow
from vigil.domain.errors import InvalidTransition, NotFound
from vigil.domain.flapping import DEFAULT_HOLD_SECONDS, KEEP_CHANGES, is_flapping, recent_changes
from vigil.domain.incidents import PAGING_STATES, Status, StoredIncident
from vigil.domain.integrations import Integration
from vigil.domain.silences import MaintenanceWindow, silenced_by
from vigil.lazy import lazy_module
from vigil.observability import count, logger
from vigil.services import silences
from vigil.services.paging import routing
from vigil.services.timeline import add_timeline, timeline_entry

if TYPE_CHECKING:
    from vigil.services import incidents, responders
    from vigil.services.paging import notify
else:  # the incident path: a duplicate never needs it
    incidents = lazy_module("vigil.services.incidents")
    responders = lazy_module("vigil.services.responders")
    notify = lazy_module("vigil.services.paging.notify")

DEFAULT_WINDOW = timedelta(minutes=10)
# What one alert item keeps, far below DynamoDB's 400 KB item limit whatever a sender sends.
RAW_LIMIT = 16 * 1024  # characters of the raw payload
DESCRIPTION_LIMIT = 10_000
DETAILS_LIMIT = 32 * 1024
DETAILS_DEPTH = 16
LABELS_LIMIT = 100  # labels, each value cut at 1 KiB


def alert_id_for(integration_id: str, dedup_key: str) -> str:
    digest = hashlib.sha256(f"{integration_id}\x1f{dedup_key}".encode()).hexdigest()
    return f"alr_{digest[:24]}"


def window_of(integration: Integration) -> timedelta:
    seconds = integration.settings.get("correlation_window_seconds")
    return timedelta(seconds=int(seconds)) if seconds else DEFAULT_WINDOW


def ingest(integration: Integration, alerts: list[NormalizedAlert], raw: str = "") -> list[AlertOutcome]:
    count("AlertsReceived", len(alerts))
    return [record_alert(integration, alert, utcnow(), raw) for alert in alerts]


def _outcome(
    alert_id: str,
    alert: NormalizedAlert,
    status: str,
    action: str,
    incident_id: str | None = None,
    reason: str = "",
) -> AlertOutcome:
    return AlertOutcome(
        alert_id=alert_id,
        dedup_key=alert.dedup_key,
        status=status,
        action=action,
        incident_id=incident_id,
        reason=reason,
    )


def record_alert(
    integration: Integration, alert: NormalizedAlert, now: datetime, raw: str = ""
) -> AlertOutcome:
    alert_id = alert_id_for(integration.integration_id, alert.dedup_key)
    if alert.status is AlertStatus.RESOLVED:
        return _resolve(alert_id, integration, alert, now, raw)
    if alert.status is AlertStatus.ACKNOWLEDGED:
        return _acknowledge(alert_id, alert)
    quiet_by = _quiet_by(integration, alert, now)
    pages = _should_page(integration, alert) and not quiet_by
    stored = _upsert(alert_id, integration, alert, now, quiet_by=quiet_by, raw=raw, firing=pages)
    if not pages:
        action = "silenced" if quiet_by else "suppressed" if alert.suppressed else "recorded"
        return _outcome(alert_id, alert, alert.status.value, action, stored.incident_id, quiet_by or "")
    if incident_id := stored.episode_incident:
        if _fresh(stored, now, window_of(integration)) or _incident_active(incident_id):
            count("AlertsDeduplicated")
            return _outcome(
                alert_id,
                alert,
                "firing",
                "duplicate",
                incident_id,
                "repeat of a firing alert within its correlation window",
            )
        stored = stores.alerts.restart_episode(alert_id, stored, now)
    return _open_or_join(integration, alert_id, alert, stored, now)


def _should_page(integration: Integration, alert: NormalizedAlert) -> bool:
    firing = alert.status is AlertStatus.FIRING or (
        alert.status is AlertStatus.UNKNOWN and bool(integration.settings.get("page_on_unknown"))
    )
    return firing and not alert.suppressed and routing.load_alerting_rules().opens_incident(alert.severity)


def _quiet_by(integration: Integration, alert: NormalizedAlert, now: datetime) -> str:
    windows = [
        MaintenanceWindow.model_validate(w) for w in integration.settings.get("maintenance_windows", [])
    ]
    return silenced_by(alert, silences.active(), windows, now)


def _fresh(stored: StoredAlert, now: datetime, window: timedelta) -> bool:
    return now - parse_iso(stored.prev_seen or stored.last_seen) <= window


def _incident_active(incident_id: str) -> bool:
    """Read only for a repeat after a long silence: is its incident still being worked?"""
    record = stores.incidents.find(incident_id, consistent=False)
    return record is not None and record.status in {s.value for s in (*PAGING_STATES, Status.ACKNOWLEDGED)}


def _upsert(
    alert_id: str,
    integration: Integration,
    alert: NormalizedAlert,
    now: datetime,
    *,
    quiet_by: str,
    raw: str,
    firing: bool,
) -> StoredAlert:
    """The one write of a duplicate: store the latest state, count the occurrence."""
    fields = {
        "source": alert.source,
        "integration_id": integration.integration_id,
        "dedup_key": alert.dedup_key,
        "title": alert.title,
        "description": alert.description[:DESCRIPTION_LIMIT],
        "severity": alert.severity.value,
        "labels": bounded_labels(alert.labels, LABELS_LIMIT),
        "status": alert.status.value,
        "suppressed": alert.suppressed,
        "silenced_by": quiet_by,
        "raw_payload": raw[:RAW_LIMIT],
        "category": alert.category,
        "source_url": alert.source_url,
        "correlation_key": alert.correlation_key,
        "details": _bounded_details(alert.details),
    }
    stored = stores.alerts.upsert(alert_id, fields, now, starts_episode=firing)
    stores.alerts.keep_arrivals_of(alert_id, stored)
    return stored


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


def _open_or_join(
    integration: Integration, alert_id: str, alert: NormalizedAlert, stored: StoredAlert, now: datetime
) -> AlertOutcome:
    episode = stored.episode_started
    if episode is None:  # the upsert of a firing alert starts one; a concurrent resolve ended it
        raise RuntimeError(f"alert {alert_id} resolved while it fired: no episode to open or join")
    earlier = stored.incident_id
    flapping = earlier and is_flapping(stored.changes, now)
    if earlier and flapping and _still_or_again_open(earlier, alert, _hold_of(integration)):
        return _rejoin_flapping(alert_id, alert, episode, earlier, stored.changes, now)
    if earlier and stored.incident_episode != episode:
        stores.alerts.keep_in_past_incident(stored)
    own_id = incidents.incident_id_for(alert_id, episode)
    pointer = _correlation_pointer(integration, alert)
    holder = _claim_correlation(integration, pointer, own_id, now) if pointer else None
    if holder is not None and holder != own_id:
        return _join(alert_id, alert, episode, holder)
    record = incidents.record_from_alert(
        alert,
        own_id,
        now,
        firing_alerts=1,
        integration_id=integration.integration_id,
        service_id=integration.service_id,  # its service's policy pages it
        **({"correlation_pointer": pointer} if pointer else {}),
    )
    opened = incidents.open_incident(record)
    if opened:
        logger.info("incident opened", extra={"incident_id": own_id, "alert_id": alert_id})
    stores.alerts.link(alert_id, own_id, episode, changed_at=now)
    if opened:  # only the copy whose write created the incident says so: exactly one answer
        return _outcome(alert_id, alert, "firing", "opened", own_id, "new alert")
    count("AlertsDeduplicated")
    return _outcome(
        alert_id, alert, "firing", "duplicate", own_id, "a concurrent copy of this alert opened the incident"
    )


def _hold_of(integration: Integration) -> int:
    return int(integration.settings.get("flapping_hold_seconds", DEFAULT_HOLD_SECONDS))


def _still_or_again_open(incident_id: str, alert: NormalizedAlert, hold_seconds: int) -> bool:
    """The flapping alert's incident, reopened if it was resolved: its ladder restarts after
    `hold_seconds`, so a resolve within the hold pages no one. False if it is closed or gone,
    and a new incident is due."""
    if _incident_active(incident_id):
        return True
    try:
        incidents.change_status(
            incident_id,
            Status.OPEN,
            actor=f"alert:{alert.source}",
            reason="a flapping alert fired again",
            hold_seconds=hold_seconds,
        )
    except (InvalidTransition, NotFound):
        return False
    return True


def _rejoin_flapping(
    alert_id: str, alert: NormalizedAlert, episode: str, incident_id: str, changes: list[str], now: datetime
) -> AlertOutcome:
    """A flapping alert goes back to its incident (kept open while it flaps): no new page."""
    if stores.alerts.link(alert_id, incident_id, episode, changed_at=now):
        recent = recent_changes(changes, now)
        add_timeline(
            incident_id,
            "alert",
            f"alert fired again while flapping ({recent} changes): {alert.title}",
            data={"alert_id": alert_id, "changes": recent},
            entry_id=f"flap-{alert_id}-{episode}",
        )
        stores.incidents.count_alerts(incident_id, firing=1)
    return _outcome(alert_id, alert, "firing", "joined", incident_id, "flapping")


def _correlation_pointer(integration: Integration, alert: NormalizedAlert) -> str | None:
    if not alert.correlation_key:
        return None
    return stores.alerts.correlation_pointer(integration.integration_id, alert.correlation_key)


def _claim_correlation(integration: Integration, pointer: str, own_id: str, now: datetime) -> str:
    """The incident that alerts of this correlation key go to: ours if the window is free."""
    until = now + window_of(integration)
    expires_at = int((until + timedelta(days=1)).timestamp())
    return stores.alerts.claim_correlation(pointer, own_id, now=now, until=until, expires_at=expires_at)


def _join(alert_id: str, alert: NormalizedAlert, episode: str, incident_id: str) -> AlertOutcome:
    if stores.alerts.link(alert_id, incident_id, episode, changed_at=None):
        counted = stores.incidents.count_alerts(incident_id, alerts=1, firing=1)
        add_timeline(
            incident_id,
            "alert",
            f"alert joined: {alert.title}",
            data={"alert_id": alert_id, "dedup_key": alert.dedup_key},
            entry_id=f"joined-{alert_id}-{episode}",
        )
        if counted is not None:  # the count returned the incident: no read to compare severities
            responders.raise_severity(
                incident_id, alert.severity.value, actor=f"alert:{alert.source}", record=counted
            )
    return _outcome(
        alert_id, alert, "firing", "joined", incident_id, f"correlated by {alert.correlation_key}"
    )


def _resolve(
    alert_id: str, integration: Integration, alert: NormalizedAlert, now: datetime, raw: str
) -> AlertOutcome:
    old, seen = stores.alerts.resolve(alert_id, now)
    if old is None:
        # Never seen firing, or resolved already: stored as it is, not a state change.
        _upsert(alert_id, integration, alert, now, quiet_by="", raw=raw, firing=False)
        reason = "already resolved" if seen else "never seen firing"
        return _outcome(alert_id, alert, "resolved", "recorded", reason=reason)
    if len(old.changes) >= 2 * KEEP_CHANGES:
        stores.alerts.keep_changes(alert_id, old.changes[-KEEP_CHANGES:])
    incident_id = old.episode_incident
    if incident_id is None:  # its episode never opened or joined an incident
        return _outcome(alert_id, alert, "resolved", "resolved", old.incident_id)
    _alert_resolved(incident_id, alert, flapping=is_flapping([*old.changes, iso(now)], now))
    return _outcome(alert_id, alert, "resolved", "resolved", incident_id)


RESOLVED_AT_SOURCE = "every alert resolved at its source"


def _alert_resolved(incident_id: str, alert: NormalizedAlert, *, flapping: bool) -> None:
    rules = routing.load_alerting_rules()
    actor = f"alert:{alert.source}"
    # An alert without a correlation key is most likely its incident's only one: try counting
    # it and resolving the incident in one write first (a shared incident is counted first).
    if rules.resolve_incidents_with_alerts and not alert.correlation_key:
        entry = _resolved_entry(alert, remaining=0, flapping=flapping)
        resolved = incidents.resolve_with_last_alert(
            incident_id, entry, actor=actor, reason=RESOLVED_AT_SOURCE
        )
        if resolved is not None:
            _announce_if_wanted(resolved, rules.notify_resolved_for)
            return
    updated = stores.incidents.count_alerts(incident_id, firing=-1)
    if updated is None:
        return  # the incident was deleted
    remaining = updated.firing_alerts or 0
    entry = _resolved_entry(alert, remaining=remaining, flapping=flapping)
    add_timeline(incident_id, entry["kind"], entry["message"], data=entry["data"])
    if remaining > 0 or not rules.resolve_incidents_with_alerts:
        return
    try:
        resolved = incidents.change_status(
            incident_id, Status.RESOLVED, actor=actor, reason=RESOLVED_AT_SOURCE
        )
    except InvalidTransition:  # already resolved or closed by a person
        return
    _announce_if_wanted(resolved, rules.notify_resolved_for)


def _resolved_entry(alert: NormalizedAlert, *, remaining: int, flapping: bool) -> dict[str, Any]:
    note = " (flapping: if it fires again it rejoins this incident)" if flapping else ""
    return timeline_entry(
        "alert",
        f"alert resolved at source: {alert.title}{note}",
        data={"dedup_key": alert.dedup_key, "still_firing": remaining, "flapping": flapping},
    )


def _announce_if_wanted(resolved: StoredIncident, notify_resolved_for: list[Severity]) -> None:
    if resolved.severity in notify_resolved_for:
        notify.announce_resolved(resolved)


def _acknowledge(alert_id: str, alert: NormalizedAlert) -> AlertOutcome:
    stored = stores.alerts.find(alert_id)
    incident_id = stored.incident_id if stored else None
    if not incident_id:
        return _outcome(alert_id, alert, "acknowledged", "recorded", reason="no incident to acknowledge")
    with contextlib.suppress(InvalidTransition):  # already acknowledged, resolved or closed
        incidents.change_status(
            incident_id,
            Status.ACKNOWLEDGED,
            actor=f"alert:{alert.source}",
            reason="acknowledged at the source",
        )
    return _outcome(alert_id, alert, "acknowledged", "acknowledged", incident_id)
