"""Each incident's ladder is one Step Functions execution named after the incident.

This module starts it (the one place that does), ends or moves it for people (acknowledge,
resolve, escalate by hand, delete), keeps the escalation policy and simulates it. The state
machine's own steps are in services/ladder_steps.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from vigil.adapters import ladder, stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidTransition, NotFound
from vigil.domain.escalation import Cursor, EscalationPolicy, default_policy
from vigil.domain.escalation import simulate as simulate_ladder
from vigil.domain.incidents import PAGING_STATES, LadderState, Status, StoredIncident, hypothetical
from vigil.domain.oncall import DEFAULT_ID, service_of, target_of
from vigil.observability import count, logger
from vigil.services import teams
from vigil.services.paging import notify, routing
from vigil.services.timeline import add_timeline

POLICY = "escalation"


def load_policy() -> EscalationPolicy:
    """The saved policy; the original spec's defaults if none is saved or the saved one is unreadable
    (a broken configuration must never stop a page)."""
    saved = stores.config.current(POLICY)
    if not saved:
        return default_policy()
    try:
        return EscalationPolicy.model_validate(saved["policy"])
    except (ValidationError, KeyError):
        logger.error("stored escalation policy is invalid; using the defaults")
        count("PolicyInvalid")
        return default_policy()


def policy_for(incident: StoredIncident) -> EscalationPolicy:
    """The policy of the incident's service: the service an assignment rule named
    (`service:<id>`), else the one its integration belongs to, else the default (the global
    policy). A named policy that is gone falls back to the default: a page is never lost."""
    policy_id = _policy_id_of(incident)
    if policy_id == DEFAULT_ID:
        return load_policy()
    named = stores.policies.find(policy_id)
    if named is None:
        logger.error("escalation policy missing; using the default", extra={"policy_id": policy_id})
        count("PolicyMissing")
        return load_policy()
    return named


def _policy_id_of(incident: StoredIncident) -> str:
    service_id = service_of(incident)
    service = stores.services.find(service_id) if service_id != DEFAULT_ID else None
    return service.escalation_policy_id if service else DEFAULT_ID


def save_policy(policy: EscalationPolicy, actor: str) -> EscalationPolicy:
    """Replace the policy; each save is a new version, the previous ones are kept."""
    current = stores.config.current(POLICY, consistent=True)
    version = int(current["policy"]["version"]) + 1 if current else 1
    saved = policy.model_copy(update={"version": version})
    body = {"policy": saved.model_dump(mode="json"), "saved_by": actor, "saved_at": iso(utcnow())}
    stores.config.save_version(POLICY, version, body, first=current is None)
    return saved


def policy_warnings(policy: EscalationPolicy) -> list[dict[str, str]]:
    """What in a saved policy will make pages fail: teams nobody created, rungs with no channel."""
    warnings = []
    for i, rule in enumerate(policy.rules):
        kind, team = target_of(rule.escalate_to)
        if kind == "team" and not teams.exists(team):
            warnings.append({"field": f"body.rules[{i}].escalate_to", "message": _no_team(team)})
        if not rule.notification_channels:
            warnings.append(
                {
                    "field": f"body.rules[{i}].notification_channels",
                    "message": "no channel: this rung pages nobody",
                }
            )
    if policy.fallback_target and not teams.exists(policy.fallback_target):
        warnings.append({"field": "body.fallback_target", "message": _no_team(policy.fallback_target)})
    return warnings


def _no_team(name: str) -> str:
    return f"no team named {name!r} yet: its pages fail (and go to the fallback) until it exists"


def start_ladder(incident_id: str, *, run: int = 0, resume_from: int = 0, hold_seconds: int = 0) -> str:
    """Start (idempotently) the ladder execution for an incident, its first rung after
    `hold_seconds`; returns its ARN."""
    ladder_input: dict[str, Any] = {
        "incident_id": incident_id,
        "cursor": Cursor(rung=resume_from - 1).model_dump(),
        "reason": "opened" if run == 0 else "restarted",
    }
    if hold_seconds:
        ladder_input["hold_seconds"] = hold_seconds
    return ladder.start(incident_id, ladder_input, run=run)


def current_run(incident: StoredIncident) -> str:
    """The execution name of the incident's current ladder run; an older run's steps stop."""
    return ladder.execution_name(incident.incident_id, incident.ladder_runs)


def restart_ladder(incident: StoredIncident, *, from_rung: int, snooze_seconds: int = 0) -> str:
    """Move the ladder for a person: the waiting run ends and the next run starts at `from_rung`
    (or, snoozed, waits `snooze_seconds` acknowledged, then resumes). The old run's later steps
    see they are no longer the current run and stop, so nobody is paged twice by it."""
    incident_id = incident.incident_id
    run = incident.ladder_runs + 1
    stores.incidents.set_ladder_runs(incident_id, run)
    old_token = incident.waiting_token
    state = LadderState(state="snoozed" if snooze_seconds else "restarting", task_token=None, rung=from_rung)
    if snooze_seconds:
        state.next_escalation_at = iso(utcnow() + timedelta(seconds=snooze_seconds))
    state.execution_arn = ladder.execution_arn(incident_id, run)
    stores.incidents.set_escalation(incident_id, state)
    if old_token:
        ladder.answer(old_token, answer("moved"))
    ladder_input: dict[str, Any] = {
        "incident_id": incident_id,
        "cursor": Cursor(rung=from_rung - 1).model_dump(),
        "reason": "snoozed" if snooze_seconds else "moved",
    }
    if snooze_seconds:
        ladder_input["answer"] = answer("snoozed", snooze_seconds, incident.acknowledged_at)
    return ladder.start(incident_id, ladder_input, run=run)


def answer_stopped_ladder(before: StoredIncident, after: StoredIncident, why: str) -> list[dict[str, Any]]:
    """Acknowledged or resolved: the status write ended the ladder's wait and removed its token,
    which `before` (the incident as that write found it) still holds: end the waiting rung with
    one SendTaskSuccess, no polling, no read. An acknowledgement carries the ack timeout the rung
    was paged with, after which the ladder resumes. Returns the timeline entries written."""
    token = before.waiting_token
    if not token:
        return []
    timeout = _ack_timeout(before) if why == Status.ACKNOWLEDGED.value else 0
    try:
        ladder.answer(token, answer(why, timeout, after.acknowledged_at))
    except Exception as error:
        return [_could_not_stop(after, error)]
    return []


def _ack_timeout(incident: StoredIncident) -> int:
    """The policy's ack timeout, as the waiting rung recorded it when it paged (a rung paged
    before rungs recorded it: the policy now)."""
    waiting = incident.escalation
    if waiting and "ack_timeout_seconds" in waiting.model_fields_set:
        return waiting.ack_timeout_seconds or 0
    return policy_for(incident).ack_timeout_seconds or 0


def _could_not_stop(incident: StoredIncident, error: Exception) -> dict[str, Any]:
    """The new status is stored, so the ladder pages no one else: its next step sees it and
    stops. Only the early end failed; say so, and do not fail the person's request."""
    logger.warning(
        "ladder not stopped at once",
        extra={"incident_id": incident.incident_id, "error": type(error).__name__},
    )
    count("LadderStopDelayed")
    return add_timeline(
        incident.incident_id,
        "escalation",
        "the ladder could not be stopped at once; it stops at its next step, paging no one",
        data={"error": ladder.error_name(error)},
    )


def abandon_ladder(incident: StoredIncident, why: str) -> None:
    """Stop the current run outright (the incident is being deleted): it ends ABORTED. It is
    found by its name, so also before its first step has recorded its ARN."""
    ladder.abandon(ladder.execution_arn(incident.incident_id, incident.ladder_runs), why)


def answer(why: str, ack_timeout_seconds: int = 0, acknowledged_at: str | None = None) -> dict[str, Any]:
    """The task output the ASL reads after a rung is answered (0 = the acknowledgement never expires)."""
    return {"answer": why, "ack_timeout_seconds": ack_timeout_seconds, "acknowledged_at": acknowledged_at}


def escalate_by_hand(incident_id: str, reason: str, actor: str) -> None:
    incident = stores.incidents.get(incident_id)
    token = incident.waiting_token
    if Status(incident.status) not in PAGING_STATES or not token:
        raise InvalidTransition(
            f"incident {incident_id} is {incident.status} and has no ladder waiting to escalate",
            details=[{"field": "incident_id", "message": f"status={incident.status}"}],
        )
    add_timeline(
        incident_id,
        "escalation",
        f"manual escalation: {reason}",
        actor=actor,
        data={"rung": incident.escalation.rung if incident.escalation else None, "reason": reason},
    )
    ladder.escalate(token, reason)


def _named_policy(policy_id: str) -> EscalationPolicy:
    if policy_id == DEFAULT_ID:
        return load_policy()
    named = stores.policies.find(policy_id)
    if named is None:
        raise NotFound(f"no escalation policy {policy_id}")
    return named


def simulate(facts: dict[str, Any], policy_id: str | None = None) -> dict[str, Any]:
    """Who would be paged, through which channels and when; and who is unreachable, for an
    incident with these `facts` as it would open. Under the incident's own policy, or the
    escalation policy `policy_id` (a dry-run of it)."""
    rules = routing.load_assignment_rules()
    incident = hypothetical(**facts)
    if incident.assigned_team is None:
        team = rules.assign(incident.severity, incident.category)
        incident = incident.model_copy(update={"assigned_team": team})
    policy = policy_for(incident) if policy_id is None else _named_policy(policy_id)
    plan = simulate_ladder(policy, incident, notify.channels_for(incident))
    reachability = {
        team: notify.reachable(team, rung.channels)
        for rung in plan.rungs
        if not rung.skipped
        for team in rung.targets
        if target_of(team)[0] == "team"  # people are reached by their own rules
    }
    return {
        **plan.model_dump(),
        "assigned_team": incident.assigned_team,
        "policy_version": policy.version,
        "reachable": reachability,
    }
