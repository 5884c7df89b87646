"""Incidents: opening (from alerts or by hand), state changes, assignment and the timeline.

Every change is a conditional write on the incident's `version`, so two people acting at
once cannot overwrite each other: the loser gets a 409 and retries with fresh state.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime
from typing import Any

from vigil.adapters import dynamo
from vigil.domain.alerts import NormalizedAlert
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Conflict, InvalidInput, NotFound
from vigil.domain.incidents import TIMESTAMP_FOR, AssignmentRules, IncidentIn, Status, check_transition
from vigil.observability import count
from vigil.services import incident_events

INCIDENT_INDEX = "INCIDENTS"
# A label is a named string. DynamoDB refuses a map key that is empty, and an item over 400 KB.
LABEL_NAME_LIMIT = 256
LABEL_VALUE_LIMIT = 1024


def incident_pk(incident_id: str) -> str:
    return f"INCIDENT#{incident_id}"


def incident_id_for(*parts: str) -> str:
    """Deterministic id: a retried or raced open lands on the same incident."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"inc_{digest[:20]}"


def load_assignment_rules() -> AssignmentRules:
    item = dynamo.get("CONFIG#assignment", "CURRENT")
    return AssignmentRules.model_validate(item["rules"]) if item else AssignmentRules()


def save_assignment_rules(rules: AssignmentRules, actor: str) -> AssignmentRules:
    dynamo.put(
        {
            "pk": "CONFIG#assignment",
            "sk": "CURRENT",
            "rules": rules.model_dump(mode="json"),
            "saved_by": actor,
            "saved_at": iso(utcnow()),
        }
    )
    return rules


def new_incident_record(
    incident_id: str, data: IncidentIn, *, source: str, actor: str, now: datetime, rules: AssignmentRules
) -> dict[str, Any]:
    created = iso(now)
    return {
        "pk": incident_pk(incident_id),
        "sk": "META",
        "gsi2pk": INCIDENT_INDEX,
        "gsi2sk": f"{created}#{incident_id}",
        "incident_id": incident_id,
        "title": data.title,
        "description": data.description,
        "severity": data.severity.value,
        "category": data.category,
        "labels": data.labels,
        "status": Status.OPEN.value,
        "assigned_team": data.assigned_team or rules.assign(data.severity.value, data.category),
        "source": source,
        "opened_by": actor,
        "created_at": created,
        "updated_at": created,
        "alert_count": 0,
        "version": 1,
    }


def put_new_incident(record: dict[str, Any]) -> bool:
    """Store a new incident; False when it already exists (a retry or a race)."""
    from vigil.services import playbooks  # not needed to store a duplicate alert: loaded on first use

    record = {**record, "playbook": record.get("playbook") or playbooks.choose_for(record)}
    try:
        dynamo.put(record, condition="attribute_not_exists(pk)")
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            return False
        raise
    count("IncidentsOpened")
    return True


def record_from_alert(alert: NormalizedAlert, incident_id: str, now: datetime) -> dict[str, Any]:
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
        actor=f"alert:{alert.source}",
        now=now,
        rules=load_assignment_rules(),
    )
    record["alert_count"] = 1
    return record


def bounded_labels(labels: dict[str, str], limit: int) -> dict[str, str]:
    """What a monitoring tool sent, made storable: unnamed labels dropped, the rest cut to size."""
    named = [(k, v) for k, v in labels.items() if k][:limit]
    return {k[:LABEL_NAME_LIMIT]: v[:LABEL_VALUE_LIMIT] for k, v in named}


def check_labels(labels: dict[str, str], field: str = "body.labels") -> None:
    """A person's labels are refused, not cut, when they cannot be stored as they are."""
    for name, value in labels.items():
        if not 1 <= len(name) <= LABEL_NAME_LIMIT:
            raise InvalidInput(field, f"a label name has 1 to {LABEL_NAME_LIMIT} characters")
        if len(value) > LABEL_VALUE_LIMIT:
            raise InvalidInput(f"{field}.{name}", f"a label value has at most {LABEL_VALUE_LIMIT} characters")


def create_by_hand(data: IncidentIn, actor: str, idempotency_key: str | None = None) -> dict[str, Any]:
    check_labels(data.labels)
    incident_id = (
        incident_id_for("manual", actor, idempotency_key)
        if idempotency_key
        else (f"inc_{secrets.token_hex(10)}")
    )
    record = new_incident_record(
        incident_id, data, source="manual", actor=actor, now=utcnow(), rules=load_assignment_rules()
    )
    created = put_new_incident(record)
    return {**(record if created else get_record(incident_id)), "_created": created}


def get_record(incident_id: str) -> dict[str, Any]:
    item = dynamo.get(incident_pk(incident_id), "META", consistent=True)
    if not item:
        raise NotFound(f"no incident {incident_id}")
    return item


def timeline(incident_id: str, record: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The incident's timeline, oldest first. The opening entry is the incident record itself."""
    record = record or get_record(incident_id)
    opened = {
        "at": record["created_at"],
        "kind": "opened",
        "actor": record.get("opened_by", "system"),
        "message": f"incident opened ({record['severity']}), assigned to {record['assigned_team']}",
        "data": {"source": record.get("source")},
    }
    entries = sorted(
        dynamo.query_all(incident_pk(incident_id), sk_prefix="TL#"), key=lambda e: (e["at"], e["sk"])
    )
    from vigil.services import playbooks

    chosen = playbooks.opening_entry(record)
    return [opened, *([chosen] if chosen else []), *(_public_entry(e) for e in entries)]


def _public_entry(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("at", "kind", "actor", "message", "data")}


def add_timeline(
    incident_id: str,
    kind: str,
    message: str,
    *,
    actor: str = "system",
    data: dict[str, Any] | None = None,
    entry_id: str | None = None,
) -> None:
    """Append an entry. With `entry_id` the write is idempotent (a retried step adds it once)."""
    now = iso(utcnow())
    suffix = entry_id or secrets.token_hex(4)
    item = {
        "pk": incident_pk(incident_id),
        # Idempotent entries are keyed by their id alone; reads order every entry by `at`.
        "sk": f"TL#{now}#{suffix}" if entry_id is None else f"TL#E#{entry_id}",
        "at": now,
        "kind": kind,
        "actor": actor,
        "message": message,
        "data": data or {},
    }
    if entry_id is None:
        dynamo.put(item)
        return
    try:
        dynamo.put(item, condition="attribute_not_exists(pk)")
    except Exception as error:
        if not dynamo.is_conditional_failure(error):
            raise


def change_status(
    incident_id: str, requested: Status, *, actor: str, reason: str = "", expected_version: int | None = None
) -> tuple[dict[str, Any], Status]:
    """Move an incident to `requested`; returns the new record and the previous status."""
    record = get_record(incident_id)
    current = Status(record["status"])
    if expected_version is not None and expected_version != record["version"]:
        raise Conflict(f"incident {incident_id} changed (version {record['version']}); reload and retry")
    check_transition(current, requested)
    now = iso(utcnow())
    sets = {"status": requested.value, "updated_at": now}
    if requested in TIMESTAMP_FOR:
        sets[TIMESTAMP_FOR[requested]] = now
    if requested is Status.OPEN:
        sets["reopened_at"] = now
    updated = _versioned_update(incident_id, record["version"], sets)
    message = f"{current.value} → {requested.value}" + (f": {reason}" if reason else "")
    incident_events.publish(
        "status_changed",
        updated,
        actor=actor,
        data={"from": current.value, "to": requested.value, "reason": reason},
    )
    add_timeline(
        incident_id,
        "status",
        message,
        actor=actor,
        data={"from": current.value, "to": requested.value, "reason": reason},
    )
    return updated, current


def _versioned_update(incident_id: str, version: int, sets: dict[str, Any]) -> dict[str, Any]:
    names = {f"#f{i}": name for i, name in enumerate(sets)}
    values = {f":v{i}": value for i, value in enumerate(sets.values())}
    expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(sets))) + ", version = :next"
    try:
        return dynamo.update(
            incident_pk(incident_id),
            "META",
            expression,
            {**values, ":next": version + 1, ":expected": version},
            names=names,
            condition="version = :expected",
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            raise Conflict(f"incident {incident_id} was changed by someone else; retry") from None
        raise


def set_escalation(incident_id: str, escalation: dict[str, Any]) -> None:
    """Record the ladder's state on the incident (not versioned: only the ladder writes it)."""
    update_if_exists(incident_id, "SET escalation = :e", {":e": escalation})


def update_if_exists(incident_id: str, expression: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """An unversioned update that never brings a deleted incident back; None if it is gone."""
    try:
        return dynamo.update(
            incident_pk(incident_id),
            "META",
            expression,
            values,
            condition="attribute_exists(pk)",
            returns="ALL_NEW",
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            return None
        raise


def list_incidents(
    filters: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, filtered; the cursor is opaque to callers."""
    window = (filters.get("since") or "0", (filters.get("until") or "9999") + "\uffff")
    return dynamo.page(
        INCIDENT_INDEX, "gsi2", lambda item: _matches(item, filters), limit, cursor, sk_between=window
    )


def _matches(item: dict[str, Any], filters: dict[str, Any]) -> bool:
    for field in ("status", "severity", "category", "assigned_team"):
        if filters.get(field) and item.get(field) != filters[field]:
            return False
    text = (filters.get("text") or "").lower()
    return not text or text in f"{item.get('title', '')} {item.get('description', '')}".lower()


def counts_by_status() -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for item in dynamo.query_all(INCIDENT_INDEX, index="gsi2"):
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    return counts


def update_details(
    incident_id: str, changes: dict[str, Any], *, actor: str, expected_version: int | None = None
) -> dict[str, Any]:
    """Change title, description, severity or assigned team; one timeline entry for the lot."""
    record = get_record(incident_id)
    if expected_version is not None and expected_version != record["version"]:
        raise Conflict(f"incident {incident_id} changed (version {record['version']}); reload and retry")
    changed = {k: v for k, v in changes.items() if record.get(k) != v}
    if not changed:
        return record
    updated = _versioned_update(incident_id, record["version"], {**changed, "updated_at": iso(utcnow())})
    kind = "assignment" if set(changed) == {"assigned_team"} else "update"
    summary = ", ".join(f"{k} → {v}" for k, v in changed.items() if k != "description")
    if "description" in changed:
        summary = ", ".join(filter(None, [summary, "description edited"]))
    add_timeline(
        incident_id,
        kind,
        summary,
        actor=actor,
        data={k: {"from": record.get(k), "to": v} for k, v in changed.items()},
    )
    incident_events.publish("updated", updated, actor=actor, data={"changed": sorted(changed)})
    return updated


def add_note(incident_id: str, note: str, *, actor: str) -> dict[str, Any]:
    record = get_record(incident_id)
    add_timeline(incident_id, "note", note, actor=actor)
    incident_events.publish("note_added", record, actor=actor, data={"note": note})
    return record


def delete_incident(incident_id: str, *, actor: str, force: bool) -> dict[str, Any]:
    """Delete an incident; an open one only with force. An audit record of it stays."""
    record = get_record(incident_id)
    if record["status"] not in (Status.RESOLVED.value, Status.CLOSED.value) and not force:
        raise Conflict(
            f"incident {incident_id} is {record['status']}: resolve it first, or delete with force=true",
            details=[{"field": "force", "message": "required to delete an incident that is not resolved"}],
        )
    now = iso(utcnow())
    timeline_items = list(dynamo.query_all(incident_pk(incident_id), sk_prefix="TL#"))
    dynamo.put(
        {
            "pk": f"AUDIT#{incident_id}",
            "sk": f"DELETED#{now}",
            "gsi1pk": "AUDIT",
            "gsi1sk": now,
            "action": "incident_deleted",
            "actor": actor,
            "at": now,
            "forced": force,
            "incident": {k: v for k, v in record.items() if k not in ("pk", "sk", "gsi2pk", "gsi2sk")},
            "timeline_entries": len(timeline_items),
        }
    )
    for item in timeline_items:
        dynamo.delete(item["pk"], item["sk"])
    dynamo.delete(incident_pk(incident_id), "META")
    incident_events.publish("deleted", record, actor=actor, data={"forced": force})
    return record


def timeline_page(
    incident_id: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
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
