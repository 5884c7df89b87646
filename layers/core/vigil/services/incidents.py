"""Incidents: one use case per change, each with its consequences.

- `open_incident`: however an incident is opened (an alert, a person, an alert by hand), it is
  stored with its best playbook and its ladder starts, here and nowhere else;
- `change_status`: the lifecycle table, then the ladder stops on acknowledge and resolve,
  restarts on reopen, and a resolved incident frees its correlation window;
- `update_details`, `add_note`, `delete_incident`.

Every change a person makes is a conditional write on the incident's `version`, so two people
acting at once cannot overwrite each other: the loser gets a 409 and retries with fresh state.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime
from typing import Any

from vigil.adapters import stores
from vigil.domain.alerts import LABEL_NAME_LIMIT, LABEL_VALUE_LIMIT, NormalizedAlert, bounded_labels
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Conflict, InvalidInput, NotFound
from vigil.domain.incidents import (
    ALLOWED_TRANSITIONS,
    TIMESTAMP_FOR,
    AssignmentRules,
    IncidentIn,
    LadderState,
    Status,
    StoredIncident,
    check_transition,
)
from vigil.observability import count
from vigil.services import escalation, incident_events, playbooks
from vigil.services.paging.routing import load_assignment_rules, save_assignment_rules
from vigil.services.timeline import add_timeline, timeline_entry

__all__ = [
    "add_note",
    "change_status",
    "change_status_with_timeline",
    "create_by_hand",
    "delete_incident",
    "get_record",
    "load_assignment_rules",
    "open_by_hand",
    "open_for_alert",
    "open_incident",
    "public_entry",
    "resolve_with_last_alert",
    "save_assignment_rules",
    "timeline",
    "update_details",
]

Record = dict[str, Any]
STOPS_LADDER = frozenset({Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED})


def incident_id_for(*parts: str) -> str:
    """Deterministic id: a retried or raced open lands on the same incident."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"inc_{digest[:20]}"


def get_record(incident_id: str) -> StoredIncident:
    return stores.incidents.get(incident_id)


# ----------------------------------------------------------------------------- opening
def new_incident_record(
    incident_id: str, data: IncidentIn, *, source: str, actor: str, now: datetime, rules: AssignmentRules
) -> StoredIncident:
    created = iso(now)
    return StoredIncident(
        incident_id=incident_id,
        title=data.title,
        description=data.description,
        severity=data.severity.value,
        category=data.category,
        labels=data.labels,
        status=Status.OPEN.value,
        assigned_team=data.assigned_team or rules.assign(data.severity.value, data.category),
        source=source,
        opened_by=actor,
        created_at=created,
        updated_at=created,
        alert_count=0,
        version=1,
        # Present from the start, so that a status change ends the ladder's wait in its own write.
        escalation=LadderState(),
    )


def record_from_alert(
    alert: NormalizedAlert, incident_id: str, now: datetime, *, actor: str = "", **stored: Any
) -> StoredIncident:
    """The incident an alert opens; `stored`: what the caller knows besides (its integration...)."""
    data = IncidentIn(
        title=alert.title[:300],
        description=alert.description[:10_000],
        severity=alert.severity,
        category=alert.category,
        labels=bounded_labels(alert.labels, 50),
    )
    record = new_incident_record(
        incident_id,
        data,
        source=alert.source,
        actor=actor or f"alert:{alert.source}",
        now=now,
        rules=load_assignment_rules(),
    )
    return record.model_copy(update={"alert_count": 1, **stored})


def open_incident(record: StoredIncident) -> bool:
    """Store a new incident with its best playbook and start its ladder. False when it
    existed already (a retry or a race); the ladder still starts, idempotently, which finishes
    the job of an earlier try that crashed in between."""
    opened = _store_new(record)
    escalation.start_ladder(record.incident_id)
    return opened


def _store_new(record: StoredIncident) -> bool:
    record = record.model_copy(update={"playbook": record.playbook or playbooks.choose_for(record)})
    if not stores.incidents.create(record):
        return False
    count("IncidentsOpened")
    return True


def open_by_hand(data: IncidentIn, actor: str, idempotency_key: str | None = None) -> StoredIncident:
    """A person opens an incident; with an `Idempotency-Key`, a retry finds the same one."""
    record = create_by_hand(data, actor, idempotency_key)
    escalation.start_ladder(record.incident_id)
    return record


def create_by_hand(data: IncidentIn, actor: str, idempotency_key: str | None = None) -> StoredIncident:
    """The incident of `open_by_hand`, stored without starting its ladder: for callers that
    drive the ladder themselves (the workflow tests and the benchmarks)."""
    check_labels(data.labels)
    incident_id = (
        incident_id_for("manual", actor, idempotency_key)
        if idempotency_key
        else f"inc_{secrets.token_hex(10)}"
    )
    record = new_incident_record(
        incident_id, data, source="manual", actor=actor, now=utcnow(), rules=load_assignment_rules()
    )
    return record if _store_new(record) else get_record(incident_id)


def open_for_alert(alert_id: str, actor: str) -> str:
    """The alert's incident; opened now (idempotently) if the alert never paged."""
    alert = stores.alerts.find(alert_id, consistent=True)
    if not alert:
        raise NotFound(f"no alert {alert_id}")
    if alert.incident_id:
        return alert.incident_id
    episode = alert.episode_started or alert.first_seen
    incident_id = incident_id_for(alert_id, episode)
    normalized = NormalizedAlert.model_validate({**alert.stored(), "status": "firing"})
    integration = stores.integrations.find(alert.integration_id or "")
    service_id = integration.service_id if integration else None
    record = record_from_alert(normalized, incident_id, utcnow(), actor=actor, service_id=service_id)
    if _store_new(record):
        escalation.start_ladder(incident_id)
    stores.alerts.list_under_incident(alert_id, incident_id, episode)
    return incident_id


def check_labels(labels: dict[str, str], field: str = "body.labels") -> None:
    """A person's labels are refused, not cut, when they cannot be stored as they are."""
    for name, value in labels.items():
        if not 1 <= len(name) <= LABEL_NAME_LIMIT:
            raise InvalidInput(field, f"a label name has 1 to {LABEL_NAME_LIMIT} characters")
        if len(value) > LABEL_VALUE_LIMIT:
            raise InvalidInput(f"{field}.{name}", f"a label value has at most {LABEL_VALUE_LIMIT} characters")


# ----------------------------------------------------------------------------- status
def change_status(
    incident_id: str,
    requested: Status,
    *,
    actor: str,
    reason: str = "",
    expected_version: int | None = None,
    hold_seconds: int = 0,
) -> StoredIncident:
    """Move an incident to `requested`, with the consequences for its ladder and alerts;
    a reopened incident's ladder starts paging after `hold_seconds`."""
    record = _at_version(incident_id, expected_version)
    updated, _ = _change(record, requested, actor=actor, reason=reason, hold_seconds=hold_seconds)
    return updated


def change_status_with_timeline(
    incident_id: str, requested: Status, *, actor: str, reason: str = "", expected_version: int | None = None
) -> tuple[StoredIncident, list[Record]]:
    """`change_status` for a person's request, whose answer shows the incident and its timeline:
    the incident and its entries are read in one Query, the answer needs no other read of them."""
    record, stored = stores.incidents.with_entries(incident_id)
    _check_version(record, expected_version)
    updated, written = _change(record, requested, actor=actor, reason=reason)
    return updated, timeline_of(updated, [*map(public_entry, stored), *written])


def _change(
    record: StoredIncident, requested: Status, *, actor: str, reason: str, hold_seconds: int = 0
) -> tuple[StoredIncident, list[Record]]:
    """One versioned write (which also ends the ladder's wait), its event and timeline entry, then
    the consequences; returns the incident after and the timeline entries written."""
    incident_id, previous = record.incident_id, Status(record.status)
    check_transition(previous, requested)
    sets = status_sets(requested, iso(utcnow()))
    if requested is Status.OPEN and previous is Status.RESOLVED:
        sets["ladder_runs"] = record.ladder_runs + 1
    ends_wait = requested in STOPS_LADDER and record.escalation is not None
    before, updated = stores.incidents.update_status(
        incident_id, record.version, sets, ladder_state=requested.value if ends_wait else None
    )
    change = {"from": previous.value, "to": requested.value, "reason": reason}
    incident_events.publish("status_changed", updated, actor=actor, data=change)
    entry = add_timeline(incident_id, "status", status_message(change), actor=actor, data=change)
    later = _status_consequences(before, updated, requested, actor, hold_seconds)
    return updated, [entry, *later]


def status_sets(requested: Status, now: str) -> dict[str, Any]:
    """The fields a move to `requested` sets at `now`."""
    sets = {"status": requested.value, "updated_at": now}
    if requested in TIMESTAMP_FOR:
        sets[TIMESTAMP_FOR[requested]] = now
    if requested is Status.OPEN:
        sets["reopened_at"] = now
    return sets


def status_message(change: dict[str, str]) -> str:
    return f"{change['from']} → {change['to']}" + (f": {change['reason']}" if change["reason"] else "")


def resolve_with_last_alert(
    incident_id: str, alert_entry: Record, *, actor: str, reason: str
) -> StoredIncident | None:
    """The incident's last firing alert resolved at its source: count it, resolve the incident and
    end its ladder's wait in one write, with one timeline item holding the alert's entry and the
    status change. None when that write did not apply (more alerts firing, already resolved,
    gone): the caller counts the alert on its own."""
    resolvable = [s.value for s, allowed in ALLOWED_TRANSITIONS.items() if Status.RESOLVED in allowed]
    changed = stores.incidents.resolve_with_last_alert(
        incident_id,
        status_sets(Status.RESOLVED, iso(utcnow())),
        ladder_state=Status.RESOLVED.value,
        from_statuses=resolvable,
    )
    if changed is None:
        return None
    before, updated = changed
    change = {"from": before.status, "to": Status.RESOLVED.value, "reason": reason}
    incident_events.publish("status_changed", updated, actor=actor, data=change)
    status_entry = timeline_entry("status", status_message(change), actor=actor, data=change)
    stores.incidents.add_entries(incident_id, [{**alert_entry, "at": status_entry["at"]}, status_entry])
    _status_consequences(before, updated, Status.RESOLVED, actor, 0)
    return updated


def _status_consequences(
    before: StoredIncident, record: StoredIncident, requested: Status, actor: str, hold_seconds: int
) -> list[Record]:
    """What a status change sets off; returns the timeline entries it wrote."""
    previous = Status(before.status)
    written: list[Record] = []
    if requested in STOPS_LADDER:
        written += escalation.answer_stopped_ladder(before, record, requested.value)
    if requested is Status.ACKNOWLEDGED:
        count("IncidentsAcknowledged")
    if requested in (Status.RESOLVED, Status.CLOSED) and record.correlation_pointer:
        stores.alerts.release_correlation(record.correlation_pointer, record.incident_id)
    if requested is Status.OPEN and previous is Status.RESOLVED:
        escalation.start_ladder(record.incident_id, run=record.ladder_runs, hold_seconds=hold_seconds)
        held = f" in {hold_seconds}s unless the alert resolves first" if hold_seconds else ""
        written.append(
            add_timeline(
                record.incident_id,
                "escalation",
                f"reopened: the escalation ladder restarts{held}",
                actor=actor,
                data={"hold_seconds": hold_seconds},
            )
        )
    return written


def _at_version(incident_id: str, expected_version: int | None) -> StoredIncident:
    record = get_record(incident_id)
    _check_version(record, expected_version)
    return record


def _check_version(record: StoredIncident, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != record.version:
        raise Conflict(f"incident {record.incident_id} changed (version {record.version}); reload and retry")


# ----------------------------------------------------------------------------- edits
def update_details(
    incident_id: str, changes: dict[str, Any], *, actor: str, expected_version: int | None = None
) -> StoredIncident:
    """Change title, description, severity or assigned team; one timeline entry for the lot."""
    record = _at_version(incident_id, expected_version)
    changed = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if not changed:
        return record
    updated = stores.incidents.update_versioned(
        incident_id, record.version, {**changed, "updated_at": iso(utcnow())}
    )
    kind = "assignment" if set(changed) == {"assigned_team"} else "update"
    summary = ", ".join(f"{k} → {v}" for k, v in changed.items() if k != "description")
    if "description" in changed:
        summary = ", ".join(filter(None, [summary, "description edited"]))
    add_timeline(
        incident_id,
        kind,
        summary,
        actor=actor,
        data={k: {"from": getattr(record, k), "to": v} for k, v in changed.items()},
    )
    incident_events.publish("updated", updated, actor=actor, data={"changed": sorted(changed)})
    return updated


def add_note(incident_id: str, note: str, *, actor: str) -> StoredIncident:
    record = get_record(incident_id)
    add_timeline(incident_id, "note", note, actor=actor)
    incident_events.publish("note_added", record, actor=actor, data={"note": note})
    return record


def delete_incident(incident_id: str, *, actor: str, force: bool) -> StoredIncident:
    """Delete an incident (an open one only with force) and abandon its ladder; an audit
    record of it stays."""
    record = get_record(incident_id)
    if record.status not in (Status.RESOLVED.value, Status.CLOSED.value) and not force:
        raise Conflict(
            f"incident {incident_id} is {record.status}: resolve it first, or delete with force=true",
            details=[{"field": "force", "message": "required to delete an incident that is not resolved"}],
        )
    stores.incidents.delete_with_audit(record, actor=actor, forced=force, at=iso(utcnow()))
    incident_events.publish("deleted", record, actor=actor, data={"forced": force})
    escalation.abandon_ladder(record, f"incident deleted by {actor}")
    return record


# ----------------------------------------------------------------------------- reading
def timeline(incident_id: str, record: StoredIncident | None = None) -> list[Record]:
    """The incident's timeline, oldest first. The opening entry is the incident record itself."""
    record = record or get_record(incident_id)
    return timeline_of(record, [public_entry(e) for e in stores.incidents.entries(incident_id)])


def timeline_of(record: StoredIncident, entries: list[Record]) -> list[Record]:
    """The whole timeline from the incident record and its stored entries, oldest first."""
    opened = {
        "at": record.created_at,
        "kind": "opened",
        "actor": record.opened_by or "system",
        "message": f"incident opened ({record.severity}), assigned to {record.assigned_team}",
        "data": {"source": record.source},
    }
    chosen = playbooks.opening_entry(record)
    return [opened, *([chosen] if chosen else []), *entries]


def public_entry(item: Record) -> Record:
    return {k: item.get(k) for k in ("at", "kind", "actor", "message", "data")}


def timeline_page(incident_id: str, limit: int, cursor: str | None) -> tuple[list[Record], str | None]:
    """One page of the timeline, oldest first; the cursor is opaque."""
    entries = timeline(incident_id)
    start = _decode_offset(cursor)
    page = entries[start : start + limit]
    more = start + limit < len(entries)
    return page, (base64.urlsafe_b64encode(str(start + limit).encode()).decode() if more else None)


def _decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor", "not a cursor this API returned") from None
    if offset < 0:
        raise InvalidInput("cursor", "not a cursor this API returned")
    return offset


def list_incidents(
    filters: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[StoredIncident], str | None]:
    """Newest first, filtered; the cursor is opaque to callers."""
    window = (filters.get("since") or "0", (filters.get("until") or "9999") + "\uffff")
    return stores.incidents.page(lambda item: _matches(item, filters), limit, cursor, created_between=window)


def _matches(incident: StoredIncident, filters: dict[str, Any]) -> bool:
    for field in ("status", "severity", "category", "assigned_team", "service_id"):
        if filters.get(field) and getattr(incident, field) != filters[field]:
            return False
    text = (filters.get("text") or "").lower()
    return not text or text in f"{incident.title} {incident.description}".lower()


def counts_by_status() -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for status in stores.incidents.statuses():
        counts[status] = counts.get(status, 0) + 1
    return counts
