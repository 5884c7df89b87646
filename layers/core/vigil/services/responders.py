"""Responder control beyond acknowledge and resolve: reassign, add a responder, escalate to a
rung (also when acknowledged), snooze, merge; and a joining alert raising the severity.

Each is on the timeline with who did it. Moving the ladder ends its waiting run and starts the
next run at the chosen rung (escalation.restart_ladder), so a page is never sent twice by two
runs; adding a responder pages into the current run without moving it.
"""

from __future__ import annotations

from vigil.adapters import stores
from vigil.domain.errors import Conflict, InvalidInput, InvalidTransition
from vigil.domain.escalation import Rung
from vigil.domain.incidents import PAGING_STATES, Status, StoredIncident
from vigil.domain.vocabulary import SEVERITIES
from vigil.services import escalation, incidents, teams
from vigil.services.paging import notify, targets
from vigil.services.paging.routing import load_assignment_rules
from vigil.services.timeline import add_timeline

ENDED = frozenset({Status.RESOLVED, Status.CLOSED})


def _active(incident_id: str, action: str) -> StoredIncident:
    record = incidents.get_record(incident_id)
    if Status(record.status) in ENDED:
        raise InvalidTransition(
            f"incident {incident_id} is {record.status}: cannot {action}",
            details=[{"field": "incident_id", "message": f"status={record.status}"}],
        )
    return record


def _known_team(team: str, field: str) -> None:
    if not teams.exists(team):
        raise InvalidInput(field, f"no team named {team!r}")


def _reopen_if_acknowledged(record: StoredIncident, actor: str, reason: str) -> StoredIncident:
    """Paging resumes only for an open incident: an acknowledged one goes back to open."""
    if record.status != Status.ACKNOWLEDGED.value:
        return record
    return incidents.change_status(record.incident_id, Status.OPEN, actor=actor, reason=reason)


def escalate(incident_id: str, *, level: int | None, reason: str, actor: str) -> None:
    """To the next rung, or to rung `level`; an acknowledged incident is reopened first."""
    record = _active(incident_id, "escalate")
    waiting = record.waiting_token
    if level is None and waiting and Status(record.status) in PAGING_STATES:
        escalation.escalate_by_hand(incident_id, reason, actor)
        return
    highest = escalation.policy_for(record).max_level
    if level is not None and level > highest:
        raise InvalidInput("body.escalation_level", f"the escalation policy's highest level is {highest}")
    current_rung = record.escalation.rung if record.escalation else None
    target = level if level is not None else (current_rung or 0) + 1
    record = _reopen_if_acknowledged(record, actor, f"escalated by hand: {reason}")
    add_timeline(
        incident_id,
        "escalation",
        f"escalated to rung {target}: {reason}",
        actor=actor,
        data={"rung": target, "reason": reason},
    )
    escalation.restart_ladder(record, from_rung=target)


def reassign(incident_id: str, team: str, *, reason: str, actor: str) -> None:
    """Hand the incident to `team`: the ladder restarts at rung 0, which pages that team."""
    _known_team(team, "body.team")
    record = _active(incident_id, "reassign")
    if record.assigned_team == team:
        return
    incidents.update_details(incident_id, {"assigned_team": team}, actor=actor)
    record = _reopen_if_acknowledged(incidents.get_record(incident_id), actor, f"reassigned to {team}")
    add_timeline(
        incident_id,
        "escalation",
        f"reassigned to {team}; the ladder restarts at rung 0" + (f": {reason}" if reason else ""),
        actor=actor,
        data={"team": team, "reason": reason},
    )
    escalation.restart_ladder(record, from_rung=0)


def add_responder(incident_id: str, responder: dict[str, str], *, actor: str) -> int:
    """Page one more team, person (by user id, with their notification rules) or email address
    now; the ladder goes on as it was. The same responder added twice in one run is paged once."""
    record = _active(incident_id, "add a responder")
    run = escalation.current_run(record)
    kind, who = next(iter(responder.items()))
    if kind == "email":
        sent = notify.page_address(record, "email", who, run=run, purpose="responder")
    else:
        if kind == "team":
            _known_team(who, "body.team")
        elif stores.users.find(who) is None:
            raise InvalidInput("body.user_id", f"no user {who!r}")
        target = who if kind == "team" else f"user:{who}"
        rung = Rung(level=0, targets=[target], channels=notify.channels_for(record))
        sent = targets.page(record, rung, run=run, round_=0, purpose="responder")
    add_timeline(
        incident_id,
        "responder",
        f"responder added: {who} ({sent} notification{'s' if sent != 1 else ''} sent)",
        actor=actor,
        data={**responder, "sent": sent},
    )
    return sent


def snooze(incident_id: str, seconds: int, *, actor: str) -> None:
    """Acknowledged for `seconds`, then the ladder resumes (unless resolved or acknowledged anew)."""
    record = _active(incident_id, "snooze")
    reason = f"snoozed for {_duration(seconds)}"
    if record.status != Status.ACKNOWLEDGED.value:
        record = incidents.change_status(incident_id, Status.ACKNOWLEDGED, actor=actor, reason=reason)
    add_timeline(incident_id, "escalation", reason, actor=actor, data={"seconds": seconds})
    escalation.restart_ladder(record, from_rung=0, snooze_seconds=seconds)


def _duration(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds}s"


def merge(incident_id: str, into: str, *, actor: str) -> None:
    """Move the incident's alerts and timeline to `into`; the incident closes, pointing there."""
    if incident_id == into:
        raise InvalidInput("body.into", "an incident cannot be merged into itself")
    source = _active(incident_id, "merge it")
    _active(into, "merge into it")
    for alert in stores.alerts.of_incident(incident_id):
        stores.alerts.move_to_incident(alert.alert_id, into)
    moved = source.alert_count, source.firing_alerts or 0
    if any(moved):
        stores.incidents.count_alerts(into, alerts=moved[0], firing=moved[1])
    for number, entry in enumerate(incidents.timeline(incident_id, source)):
        copied = {**entry, "message": f"[{incident_id}] {entry['message']}"}
        copied["data"] = {**(entry.get("data") or {}), "merged_from": incident_id}
        stores.incidents.add_entry(into, copied, entry_id=f"merged-{incident_id}-{number}")
    add_timeline(
        into,
        "merge",
        f"merged {incident_id} ({source.title}) into this incident",
        actor=actor,
        data={"merged_from": incident_id},
    )
    stores.incidents.update_versioned(incident_id, source.version, {"merged_into": into})
    incidents.change_status(incident_id, Status.CLOSED, actor=actor, reason=f"merged into {into}")


def raise_severity(
    incident_id: str, severity: str, *, actor: str, record: StoredIncident | None = None
) -> None:
    """A joining alert of a higher severity raises the incident's (never lowers it) and
    re-routes it by the assignment rules; a new team is paged at once by a restarted ladder.
    `record`: the incident as the caller just wrote it (no read for the first try)."""
    for _ in range(3):  # another writer may change the incident meanwhile: retry on fresh state
        record = record or incidents.get_record(incident_id)
        if SEVERITIES.index(severity) >= SEVERITIES.index(record.severity):
            return
        team = load_assignment_rules().assign(severity, record.category)
        try:
            incidents.update_details(
                incident_id,
                {"severity": severity, "assigned_team": team},
                actor=actor,
                expected_version=record.version,
            )
        except Conflict:
            record = None
            continue
        if team != record.assigned_team and Status(record.status) in PAGING_STATES:
            add_timeline(
                incident_id,
                "escalation",
                f"severity raised to {severity}: re-routed to {team}; the ladder restarts at rung 0",
                actor=actor,
                data={"severity": severity, "team": team},
            )
            escalation.restart_ladder(incidents.get_record(incident_id), from_rung=0)
        return
