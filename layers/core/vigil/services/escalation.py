"""Each incident's ladder is one Step Functions execution named after the incident.

The state machine calls back into `advance`, `page`, `exhausted` and `failed`; people end or
move the ladder through `stop_ladder` (acknowledge, resolve) and `escalate_by_hand`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from vigil.adapters import dynamo
from vigil.adapters.aws import client, is_transient
from vigil.config import settings
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import InvalidTransition
from vigil.domain.escalation import Cursor, EscalationPolicy, advance, default_policy, rung_at
from vigil.domain.escalation import simulate as simulate_ladder
from vigil.domain.incidents import PAGING_STATES, Status
from vigil.observability import count, logger
from vigil.services import incidents, notify


class TransientError(Exception):
    """A failure worth retrying; the state machine's Retry names this class."""


def retryable(error: Exception) -> Exception:
    """AWS throttling and timeouts become TransientError, which the ASL retries with backoff."""
    return TransientError(str(error)) if is_transient(error) else error


def load_policy() -> EscalationPolicy:
    """The saved policy; the original spec's defaults if none is saved or the saved one is unreadable
    (a broken configuration must never stop a page)."""
    item = dynamo.get("CONFIG#escalation", "CURRENT")
    if not item:
        return default_policy()
    try:
        return EscalationPolicy.model_validate(item["policy"])
    except (ValidationError, KeyError):
        logger.error("stored escalation policy is invalid; using the defaults")
        count("PolicyInvalid")
        return default_policy()


def run_of(execution_arn: str) -> str:
    """The execution name: it identifies one run of an incident's ladder."""
    return execution_arn.rsplit(":", 1)[-1]


def execution_name(incident_id: str, run: int) -> str:
    return incident_id if run == 0 else f"{incident_id}-run{run}"


def start_ladder(incident_id: str, *, run: int = 0, resume_from: int = 0) -> str:
    """Start (idempotently) the ladder execution for an incident; returns its ARN."""
    config = settings()
    name = execution_name(incident_id, run)
    arn = f"{config.state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
    ladder_input = {
        "incident_id": incident_id,
        "cursor": Cursor(rung=resume_from - 1).model_dump(),
        "reason": "opened" if run == 0 else "restarted",
    }
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=config.state_machine_arn, name=name, input=json.dumps(ladder_input)
        )
    except Exception as error:
        if _error_code(error) != "ExecutionAlreadyExists":
            raise
    return arn


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


# ----------------------------------------------------------------------------- state machine steps
def on_advance(
    incident_id: str, cursor: dict[str, Any], reason: str | None, execution_arn: str
) -> dict[str, Any]:
    incident = incidents.get_record(incident_id)
    previous = Cursor.model_validate(cursor)
    if reason in ("timeout", "manual") and previous.rung >= 0:
        why = "nobody acknowledged in time" if reason == "timeout" else "escalated by hand"
        incidents.add_timeline(
            incident_id,
            "escalation",
            f"rung {previous.rung} ended: {why}",
            data={"rung": previous.rung, "round": previous.round, "reason": reason},
            entry_id=f"esc-{run_of(execution_arn)}-{previous.round}-{previous.rung}-{reason}",
        )
    step = advance(load_policy(), previous, incident)
    if step.outcome == "skip":
        incidents.add_timeline(
            incident_id,
            "escalation",
            f"rung {step.rung} skipped: its condition is false",
            data={"rung": step.rung, "round": step.round},
            entry_id=f"skip-{run_of(execution_arn)}-{step.round}-{step.rung}",
        )
    elif step.outcome == "stop":
        incidents.set_escalation(
            incident_id,
            {
                **(incident.get("escalation") or {}),
                "state": "stopped",
                "task_token": None,
                "next_escalation_at": None,
            },
        )
    return step.model_dump()


def on_page(incident_id: str, cursor: dict[str, Any], task_token: str, execution_arn: str) -> dict[str, Any]:
    incident = incidents.get_record(incident_id)
    step = Cursor.model_validate(cursor)
    if Status(incident["status"]) not in PAGING_STATES:
        # Acknowledged between Advance and Page: nobody is paged; end the wait at once.
        client("stepfunctions").send_task_success(taskToken=task_token, output=_answer("stopped"))
        return {"paged": 0}
    now = utcnow()
    incidents.set_escalation(
        incident_id,
        {
            "state": "waiting",
            "execution_arn": execution_arn,
            "task_token": task_token,
            "rung": step.rung,
            "round": step.round,
            "paged_at": iso(now),
            "next_escalation_at": iso(now.fromtimestamp(now.timestamp() + step.wait_seconds, now.tzinfo)),
        },
    )
    policy = load_policy()
    rung = rung_at(policy, step.rung, incident, notify.channels_for(incident))
    sent = notify.page(incident, rung, run=run_of(execution_arn), round_=step.round)
    count("PagesSent", sent)
    return {"paged": sent}


def on_ack_expired(incident_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The ack window ended: if the same acknowledgement still stands, reopen and resume."""
    incident = incidents.get_record(incident_id)
    still_acknowledged = incident["status"] == Status.ACKNOWLEDGED.value and incident.get(
        "acknowledged_at"
    ) == answer.get("acknowledged_at")
    if not still_acknowledged:
        return Cursor(outcome="stop").model_dump()
    policy = load_policy()
    incidents.change_status(
        incident_id,
        Status.OPEN,
        actor="system",
        reason=f"acknowledgement expired after {answer.get('ack_timeout_seconds')}s",
    )
    resume = Cursor(rung=policy.resume_from_level - 1, outcome="resume")
    return resume.model_dump()


def on_exhausted(incident_id: str, cursor: dict[str, Any], execution_arn: str) -> dict[str, Any]:
    policy = load_policy()
    incidents.add_timeline(
        incident_id,
        "escalation",
        "ladder exhausted: nobody acknowledged",
        data=cursor,
        entry_id=f"exhausted-{run_of(execution_arn)}",
    )
    incidents.set_escalation(
        incident_id, {"state": "exhausted", "task_token": None, "next_escalation_at": None}
    )
    count("LaddersExhausted")
    return _page_fallback(incident_id, policy, "exhausted", run_of(execution_arn))


def on_failed(incident_id: str, error: dict[str, Any], execution_arn: str) -> dict[str, Any]:
    logger.error("escalation failed", extra={"incident_id": incident_id, "error": error})
    incidents.add_timeline(
        incident_id,
        "escalation",
        "the escalation ladder failed; the fallback is paged",
        data={"error": error.get("Error"), "cause": str(error.get("Cause", ""))[:500]},
        entry_id=f"failed-{run_of(execution_arn)}",
    )
    incidents.set_escalation(incident_id, {"state": "failed", "task_token": None, "next_escalation_at": None})
    count("LaddersFailed")
    return _page_fallback(incident_id, load_policy(), "failed", run_of(execution_arn))


def _page_fallback(incident_id: str, policy: EscalationPolicy, why: str, run: str) -> dict[str, Any]:
    if not policy.fallback_target:
        return {"paged": 0}
    incident = incidents.get_record(incident_id)
    rung = rung_at(
        policy, 0, {**incident, "assigned_team": policy.fallback_target}, notify.channels_for(incident)
    )
    return {"paged": notify.page(incident, rung, run=run, round_=0, purpose=why)}


# ----------------------------------------------------------------------------- people
def stop_ladder(incident: dict[str, Any], why: str) -> None:
    """Acknowledged or resolved: end the wait with one SendTaskSuccess, no polling.
    An acknowledgement carries the policy's ack timeout, after which the ladder resumes."""
    token = (incident.get("escalation") or {}).get("task_token")
    if not token:
        return
    timeout = load_policy().ack_timeout_seconds if why == Status.ACKNOWLEDGED.value else None
    try:
        client("stepfunctions").send_task_success(
            taskToken=token, output=_answer(why, timeout or 0, incident.get("acknowledged_at"))
        )
    except Exception as error:
        # The rung already timed out or the execution ended: the next step sees the new status.
        if _error_code(error) not in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            _could_not_stop(incident, error)
            return
    escalation = incident.get("escalation") or {}
    incidents.set_escalation(
        incident["incident_id"], {**escalation, "state": why, "task_token": None, "next_escalation_at": None}
    )


def _could_not_stop(incident: dict[str, Any], error: Exception) -> None:
    """The new status is stored, so the ladder pages no one else: its next step sees it and
    stops. Only the early end failed; say so, and do not fail the person's request."""
    logger.warning(
        "ladder not stopped at once",
        extra={"incident_id": incident["incident_id"], "error": type(error).__name__},
    )
    count("LadderStopDelayed")
    incidents.add_timeline(
        incident["incident_id"],
        "escalation",
        "the ladder could not be stopped at once; it stops at its next step, paging no one",
        data={"error": _error_code(error) or type(error).__name__},
    )


def abandon_ladder(incident: dict[str, Any], why: str) -> None:
    """Stop the execution outright (the incident is being deleted): it ends ABORTED."""
    arn = (incident.get("escalation") or {}).get("execution_arn")
    if not arn:
        return
    try:
        client("stepfunctions").stop_execution(executionArn=arn, error="IncidentDeleted", cause=why[:256])
    except Exception as error:
        if _error_code(error) != "ExecutionDoesNotExist":
            raise


def _answer(why: str, ack_timeout_seconds: int = 0, acknowledged_at: str | None = None) -> str:
    """The task output the ASL reads after a rung is answered (0 = the acknowledgement never expires)."""
    return json.dumps(
        {"answer": why, "ack_timeout_seconds": ack_timeout_seconds, "acknowledged_at": acknowledged_at}
    )


def escalate_by_hand(incident_id: str, reason: str, actor: str) -> dict[str, Any]:
    incident = incidents.get_record(incident_id)
    escalation = incident.get("escalation") or {}
    token = escalation.get("task_token")
    if Status(incident["status"]) not in PAGING_STATES or not token:
        raise InvalidTransition(
            f"incident {incident_id} is {incident['status']} and has no ladder waiting to escalate",
            details=[{"field": "incident_id", "message": f"status={incident['status']}"}],
        )
    incidents.add_timeline(
        incident_id,
        "escalation",
        f"manual escalation: {reason}",
        actor=actor,
        data={"rung": escalation.get("rung"), "reason": reason},
    )
    try:
        client("stepfunctions").send_task_failure(
            taskToken=token, error="ManualEscalation", cause=reason[:256]
        )
    except Exception as error:
        if _error_code(error) not in ("TaskTimedOut", "TaskDoesNotExist"):
            raise
    return incidents.get_record(incident_id)


def save_policy(policy: EscalationPolicy, actor: str) -> EscalationPolicy:
    """Replace the policy; each save is a new version, the previous ones are kept."""
    current = dynamo.get("CONFIG#escalation", "CURRENT", consistent=True)
    version = int(current["policy"]["version"]) + 1 if current else 1
    saved = policy.model_copy(update={"version": version})
    body = {"policy": saved.model_dump(mode="json"), "saved_by": actor, "saved_at": iso(utcnow())}
    condition = "attribute_not_exists(pk)" if not current else None
    dynamo.put({"pk": "CONFIG#escalation", "sk": f"V#{version:06d}", **body})
    dynamo.put({"pk": "CONFIG#escalation", "sk": "CURRENT", **body}, condition=condition)
    return saved


def simulate(incident: dict[str, Any]) -> dict[str, Any]:
    """Who would be paged, through which channels and when; and who is unreachable."""
    rules = incidents.load_assignment_rules()
    incident = {"status": Status.OPEN.value, **incident}
    incident.setdefault("assigned_team", rules.assign(incident["severity"], incident.get("category")))
    policy = load_policy()
    plan = simulate_ladder(policy, incident, notify.channels_for(incident))
    reachability = {
        team: notify.reachable(team, rung.channels)
        for rung in plan.rungs
        if not rung.skipped
        for team in rung.targets
    }
    return {
        **plan.model_dump(),
        "assigned_team": incident["assigned_team"],
        "policy_version": policy.version,
        "reachable": reachability,
    }
