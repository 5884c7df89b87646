"""The escalation state machine's steps (statemachine/escalation.asl.json calls them through
functions/ladder_step): advance, page, ack_expired, exhausted and failed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from vigil.adapters import ladder, stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Throttled
from vigil.domain.escalation import Cursor, Rung, advance, rung_at
from vigil.domain.incidents import PAGING_STATES, LadderState, Status, StoredIncident
from vigil.observability import count, logger
from vigil.services import incidents
from vigil.services.escalation import answer, current_run, policy_for
from vigil.services.paging import notify, targets
from vigil.services.timeline import add_timeline

RUNG_ENDED = {
    "timeout": "nobody acknowledged in time",
    "manual": "escalated by hand",
    "unreachable": "nobody on it could be reached",
}


class TransientError(Exception):
    """A failure worth retrying; the state machine's Retry names this class."""


def retryable(error: Exception) -> Exception:
    """AWS throttling and timeouts become TransientError, which the ASL retries with backoff."""
    return TransientError(str(error)) if isinstance(error, Throttled) else error


def on_advance(
    incident_id: str, cursor: dict[str, Any], reason: str | None, execution_arn: str
) -> dict[str, Any]:
    incident = stores.incidents.get(incident_id)
    previous = Cursor.model_validate(cursor)
    run = ladder.run_of(execution_arn)
    if run != current_run(incident):
        return previous.model_copy(update={"outcome": "stop"}).model_dump()  # a person moved the ladder
    still_paging = Status(incident.status) in PAGING_STATES
    if reason in RUNG_ENDED and previous.rung >= 0 and still_paging:
        why = RUNG_ENDED[reason]
        add_timeline(
            incident_id,
            "escalation",
            f"rung {previous.rung} ended: {why}",
            data={"rung": previous.rung, "round": previous.round, "reason": reason},
            entry_id=f"esc-{run}-{previous.round}-{previous.rung}-{reason}",
        )
    if ladder.run_of(execution_arn) != current_run(incident):  # a reopening replaced this run
        return previous.model_copy(update={"outcome": "stop"}).model_dump()
    step = advance(policy_for(incident), previous, incident)
    if step.outcome == "skip":
        add_timeline(
            incident_id,
            "escalation",
            f"rung {step.rung} skipped: its condition is false",
            data={"rung": step.rung, "round": step.round},
            entry_id=f"skip-{run}-{step.round}-{step.rung}",
        )
    elif step.outcome == "stop":
        _end_run(incident_id, run, "stopped", keep=incident.escalation or LadderState())
    return step.model_dump()


def on_page(incident_id: str, cursor: dict[str, Any], task_token: str, execution_arn: str) -> dict[str, Any]:
    incident = stores.incidents.get(incident_id)
    step = Cursor.model_validate(cursor)
    stale = ladder.run_of(execution_arn) != current_run(incident)
    if stale or Status(incident.status) not in PAGING_STATES or _all_alerts_resolved(incident):
        # Acknowledged, resolved (or the ladder moved) between Advance and Page: nobody is paged.
        ladder.answer(task_token, answer("stopped"))
        return {"paged": 0}
    now = utcnow()
    policy = policy_for(incident)
    waiting = stores.incidents.wait_on_rung(
        incident_id,
        [status.value for status in PAGING_STATES],
        LadderState(
            state="waiting",
            execution_arn=execution_arn,
            task_token=task_token,
            rung=step.rung,
            round=step.round,
            paged_at=iso(now),
            next_escalation_at=iso(now + timedelta(seconds=step.wait_seconds)),
            # An acknowledgement answers with it, without reading the policy.
            ack_timeout_seconds=policy.ack_timeout_seconds or 0,
        ),
    )
    if not waiting:  # acknowledged or resolved since the read above: its write did not see this token
        ladder.answer(task_token, answer("stopped"))
        return {"paged": 0}
    rung = rung_at(policy, step.rung, incident, notify.channels_for(incident))
    run = ladder.run_of(execution_arn)
    sent = targets.page(incident, rung, run=run, round_=step.round, at=now)
    count("PagesSent", sent)
    if not sent and rung.targets:
        _move_on_unreachable(incident_id, run, task_token)
    return {"paged": sent}


def _move_on_unreachable(incident_id: str, run: str, task_token: str) -> None:
    """Nobody on this rung can be reached: page the fallback now and end the rung at once
    (RungUnreachable) instead of waiting out its delay."""
    _page_fallback(incident_id, "unreachable", run)
    ladder.escalate(task_token, "nobody on this rung can be reached", error="RungUnreachable")


def on_ack_expired(
    incident_id: str, answered: dict[str, Any], execution_arn: str | None = None
) -> dict[str, Any]:
    """The ack window (or a snooze) ended: if the same acknowledgement still stands, reopen and resume."""
    incident = stores.incidents.get(incident_id)
    still_acknowledged = incident.status == Status.ACKNOWLEDGED.value and (
        incident.acknowledged_at == answered.get("acknowledged_at")
    )
    current = execution_arn is None or ladder.run_of(execution_arn) == current_run(incident)
    if not (still_acknowledged and current):
        return Cursor(outcome="stop").model_dump()
    policy = policy_for(incident)
    what = "snooze ended" if answered.get("answer") == "snoozed" else "acknowledgement expired"
    incidents.change_status(
        incident_id,
        Status.OPEN,
        actor="system",
        reason=f"{what} after {answered.get('ack_timeout_seconds')}s",
    )
    return Cursor(rung=policy.resume_from_level - 1, outcome="resume").model_dump()


def on_exhausted(incident_id: str, cursor: dict[str, Any], execution_arn: str) -> dict[str, Any]:
    run = ladder.run_of(execution_arn)
    if not _end_run(incident_id, run, "exhausted"):
        return {"paged": 0}
    add_timeline(
        incident_id,
        "escalation",
        "ladder exhausted: nobody acknowledged",
        data=cursor,
        entry_id=f"exhausted-{run}",
    )
    count("LaddersExhausted")
    return _page_fallback(incident_id, "exhausted", run)


def on_failed(incident_id: str, error: dict[str, Any], execution_arn: str) -> dict[str, Any]:
    logger.error("escalation failed", extra={"incident_id": incident_id, "error": error})
    run = ladder.run_of(execution_arn)
    if not _end_run(incident_id, run, "failed"):
        return {"paged": 0}
    add_timeline(
        incident_id,
        "escalation",
        "the escalation ladder failed; the fallback is paged",
        data={"error": error.get("Error"), "cause": str(error.get("Cause", ""))[:500]},
        entry_id=f"failed-{run}",
    )
    count("LaddersFailed")
    return _page_fallback(incident_id, "failed", run)


def _all_alerts_resolved(incident: StoredIncident) -> bool:
    """Opened by alerts that have all resolved at their source: a page would call people to a
    problem that is gone (incidents opened by hand have no firing count)."""
    return incident.firing_alerts is not None and incident.firing_alerts <= 0


def _end_run(incident_id: str, run: str, state: str, *, keep: LadderState | None = None) -> bool:
    """Run `run` of the ladder ended (or stopped): no token to answer, no next escalation; the
    execution's ARN stays, it is how a person finds the run in the console. False when a newer
    run (reassign, snooze, escalate to a rung) took over, even while this step ran: this one
    ends quietly, its state and fallback are the newer run's business."""
    if keep is None:
        incident = stores.incidents.find(incident_id)
        if incident is None:
            return False
        keep = incident.escalation or LadderState()
    return stores.incidents.end_ladder_run(incident_id, ladder.run_number(run), keep.moved_to(state))


def _page_fallback(incident_id: str, why: str, run: str) -> dict[str, Any]:
    decided_at = utcnow()  # the page is decided on the incident as read now (its entries say so)
    incident = stores.incidents.get(incident_id)
    policy = policy_for(incident)
    if not policy.fallback_target:
        return {"paged": 0}
    if _all_alerts_resolved(incident):
        return {"paged": 0}
    rung = Rung(level=0, targets=[policy.fallback_target], channels=notify.channels_for(incident))
    return {"paged": targets.page(incident, rung, run=run, round_=0, purpose=why, at=decided_at)}
