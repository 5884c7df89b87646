"""Playbooks: the built-ins and the stored ones, attaching the best one to a new incident (with
the reason on the timeline), and working through its steps.

An incident's playbook lives on the incident item as the attribute `playbook` (a copy of the
steps with their progress). It is written outside the incident's `version`, as the ladder's
state is: marking a step must not make a responder's pending edit of the incident a conflict.
Each write is conditional on the attachment number, so a step marked against a playbook that
was meanwhile replaced is refused rather than written into the new one.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import urlsplit

from vigil.adapters import automation, stores
from vigil.adapters.outbound_http import check_url, post_json
from vigil.adapters.signing import signing_keys
from vigil.domain import playbooks as book
from vigil.domain.builtin_playbooks import built_in_playbooks
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Conflict, NotFound
from vigil.domain.incidents import StoredIncident
from vigil.domain.messages import canonical_json, signature_header
from vigil.domain.playbooks import Playbook, PlaybookIn, StepRequest
from vigil.observability import count, logger
from vigil.services import live_config
from vigil.services.timeline import add_timeline


# ----------------------------------------------------------------------------- the catalogue
def list_playbooks(*, remembered: bool = False) -> list[Playbook]:
    """Built-in and stored playbooks; `remembered`: the stored ones as the live configuration
    has them (services/live_config.py), so that opening an incident reads nothing when warm."""
    stored = _live_copies() if remembered else stores.playbooks.all_stored()
    return [*built_in_playbooks().values(), *sorted(stored, key=lambda p: p.playbook_id)]


def _live_copies() -> list[Playbook]:
    return [Playbook.model_validate(body) for body in live_config.current().playbooks]


def _keep_copy(playbook: Playbook) -> None:
    live_config.keep(live_config.PLAYBOOK, playbook.playbook_id, playbook.model_dump(mode="json"))


def get_playbook(playbook_id: str) -> Playbook:
    if playbook_id in built_in_playbooks():
        return built_in_playbooks()[playbook_id]
    stored = stores.playbooks.find(playbook_id)
    if stored is None:
        raise NotFound(f"no playbook {playbook_id}")
    return stored


def create_playbook(
    data: PlaybookIn, *, actor: str, playbook_id: str | None = None, idempotency_key: str | None = None
) -> tuple[Playbook, bool]:
    """Store a new playbook; (playbook, False) when an `Idempotency-Key` retry finds it stored."""
    chosen = playbook_id or _id_for(actor, idempotency_key)
    _refuse_built_in(chosen)
    _check_targets(data)
    now = iso(utcnow())
    playbook = _playbook(data, chosen, version=1, created_at=now, actor=actor)
    if stores.playbooks.create(playbook):
        _keep_copy(playbook)
        return playbook, True
    if playbook_id is None and idempotency_key:
        return get_playbook(chosen), False
    raise Conflict(f"playbook {chosen} exists: PUT to replace it")


def _id_for(actor: str, idempotency_key: str | None) -> str:
    if not idempotency_key:
        return f"pb_{secrets.token_hex(8)}"
    return "pb_" + hashlib.sha256(f"{actor}\x1f{idempotency_key}".encode()).hexdigest()[:16]


def replace_playbook(playbook_id: str, data: PlaybookIn, *, actor: str) -> Playbook:
    _refuse_built_in(playbook_id)
    current = get_playbook(playbook_id)
    _check_targets(data)
    playbook = _playbook(
        data, playbook_id, version=current.version + 1, created_at=current.created_at, actor=actor
    )
    stores.playbooks.replace(playbook, seen_version=current.version)
    _keep_copy(playbook)
    return playbook


def delete_playbook(playbook_id: str) -> Playbook:
    """Incidents it is attached to keep their copy of it."""
    _refuse_built_in(playbook_id)
    playbook = get_playbook(playbook_id)
    if not stores.playbooks.delete(playbook_id):
        raise NotFound(f"no playbook {playbook_id}")
    live_config.drop(live_config.PLAYBOOK, playbook_id)
    return playbook


def _playbook(
    data: PlaybookIn, playbook_id: str, *, version: int, created_at: str | None, actor: str
) -> Playbook:
    return Playbook.model_validate(
        {
            **data.model_dump(mode="json"),
            "playbook_id": playbook_id,
            "version": version,
            "created_at": created_at,
            "updated_at": iso(utcnow()),
            "updated_by": actor,
        }
    )


def _refuse_built_in(playbook_id: str) -> None:
    if playbook_id in built_in_playbooks():
        raise Conflict(
            f"{playbook_id} is a built-in playbook and read-only: POST a copy under another "
            "playbook_id and change that",
            details=[{"field": "playbook_id", "message": "built-in playbooks cannot be changed"}],
        )


def _check_targets(data: PlaybookIn) -> None:
    """Webhook URLs are refused when saved, not when a responder needs them at night."""
    for index, step in enumerate(data.steps):
        if step.action == "webhook" and step.url:
            check_url(step.url, field=f"body.steps[{index}].url")


# ----------------------------------------------------------------------------- attaching
def choose_for(record: StoredIncident) -> dict[str, Any] | None:
    """The best-matching playbook's progress for a new incident, stored with the incident in
    the same write (the timeline shows it, with the reasons, from the incident record).

    Best effort: a failure is logged and counted, never raised, so that it cannot keep an
    incident from opening."""
    try:
        match = book.best_match(list_playbooks(remembered=True), record)
    except Exception:
        logger.exception("playbook not chosen", extra={"incident_id": record.incident_id})
        count("PlaybookAttachFailed")
        return None
    if match is None:
        return None
    count("PlaybooksAttached")
    progress = book.new_progress(
        match.playbook, attachment=1, actor="system", reason=f"matched: {match.explain()}", now=utcnow()
    )
    return {**progress, "score": match.score, "reasons": list(match.reasons)}


def opening_entry(record: StoredIncident) -> dict[str, Any] | None:
    """The timeline entry of a playbook chosen when the incident opened."""
    progress = record.playbook or {}
    if progress.get("attachment") != 1 or progress.get("attached_by") != "system":
        return None
    return {
        "at": progress["attached_at"],
        "kind": "playbook",
        "actor": "system",
        "message": f"playbook '{progress['title']}' attached (score {progress.get('score')}): "
        f"{progress['reason'].removeprefix('matched: ')}",
        "data": {
            "playbook_id": progress["playbook_id"],
            "score": progress.get("score"),
            "reasons": progress.get("reasons", []),
        },
    }


def attach(incident_id: str, playbook_id: str, *, actor: str) -> None:
    """A responder's choice; it replaces the current playbook and its progress."""
    playbook = get_playbook(playbook_id)
    record = stores.incidents.get(incident_id)
    current = record.playbook
    attachment = int(current["attachment"]) + 1 if current else 1
    match = book.score(playbook, record)
    reason = f"chosen by {actor}" + (f"; it matches: {match.explain()}" if match.score > 0 else "")
    progress = book.new_progress(playbook, attachment=attachment, actor=actor, reason=reason, now=utcnow())
    stores.incidents.attach_playbook(
        incident_id, progress, previous_attachment=current["attachment"] if current else None
    )
    add_timeline(
        incident_id,
        "playbook",
        f"playbook '{playbook.title}' attached by {actor}" + _replacing(current),
        actor=actor,
        data={"playbook_id": playbook_id, "replaced": current["playbook_id"] if current else None},
        entry_id=f"playbook-{attachment}",
    )
    count("PlaybooksAttached")


def _replacing(current: dict[str, Any] | None) -> str:
    if not current:
        return ""
    done = sum(1 for s in current["steps"] if s["status"] == "done")
    return f", replacing '{current['title']}' ({done}/{len(current['steps'])} steps done)"


# ----------------------------------------------------------------------------- steps
def update_step(incident_id: str, number: int, status: StepRequest, note: str, *, actor: str) -> None:
    """Mark a step done, skipped or failed, or (`run`) run an automated step now."""
    record, progress = _incident_with_playbook(incident_id)
    step = book.step_of(progress, number)
    if status == "run":
        _run(record, progress, step, note, actor)
        return
    marked = book.marked(step, status, note, actor=actor, now=utcnow())
    if not stores.incidents.write_step(incident_id, progress["attachment"], marked):
        raise Conflict(f"the playbook of incident {incident_id} changed meanwhile; reload and retry")
    add_timeline(
        incident_id,
        "playbook_step",
        _step_line(progress, marked) + f" {status}" + (f": {note}" if note else ""),
        actor=actor,
        data={"playbook_id": progress["playbook_id"], "step": number, "status": status, "note": note},
    )


def _incident_with_playbook(incident_id: str) -> tuple[StoredIncident, dict[str, Any]]:
    record = stores.incidents.get(incident_id)
    if not record.playbook:
        raise NotFound(
            f"incident {incident_id} has no playbook: attach one with "
            f"POST /api/incident_response/{incident_id}/playbook"
        )
    return record, record.playbook


def _step_line(progress: dict[str, Any], step: dict[str, Any]) -> str:
    return f"step {step['number']}/{len(progress['steps'])} '{step['title']}'"


def _run(
    record: StoredIncident, progress: dict[str, Any], step: dict[str, Any], note: str, actor: str
) -> None:
    incident_id, now = record.incident_id, utcnow()
    book.check_runnable(step, now)
    run_id = f"run_{secrets.token_hex(8)}"
    claimed = book.claimed(step, run_id, note, actor=actor, now=now)
    stale = iso(now - book.RUN_LEASE)
    attachment = progress["attachment"]
    if not stores.incidents.write_step(incident_id, attachment, claimed, unless_running_since=stale):
        raise Conflict(f"step {step['number']} is already running, or the playbook changed; reload")
    outcome = _execute(record, progress, claimed, actor)
    recorded = stores.incidents.write_step(
        incident_id, progress["attachment"], book.ran(claimed, outcome, now=utcnow()), only_run=run_id
    )
    count("PlaybookStepsRun")
    if outcome.status == "failed":
        count("PlaybookStepsFailed")
    add_timeline(
        incident_id,
        "playbook_step",
        f"{_step_line(progress, step)} run by {actor}: {outcome.summary}"
        + ("" if recorded else " (the step was marked by hand meanwhile; its mark stands)"),
        actor=actor,
        data={
            "playbook_id": progress["playbook_id"],
            "step": step["number"],
            "status": outcome.status,
            "run_id": run_id,
            **outcome.result,
        },
        entry_id=f"playbook-{run_id}",
    )


def _execute(
    record: StoredIncident, progress: dict[str, Any], step: dict[str, Any], actor: str
) -> book.RunOutcome:
    if step["action"] == "webhook":
        return _call_webhook(record, progress, step, actor)
    started = automation.start_automation(
        step["document_name"], step.get("parameters") or {}, run_id=step["run_id"]
    )
    return book.automation_outcome(step["document_name"], started.execution_id, started.error)


def _call_webhook(
    record: StoredIncident, progress: dict[str, Any], step: dict[str, Any], actor: str
) -> book.RunOutcome:
    # Only the host goes on the timeline: webhook URLs often carry a secret in the path.
    target = urlsplit(str(step["url"])).netloc.rpartition("@")[2]
    body = canonical_json(book.step_event(record, progress, step, actor=actor))
    headers = {"X-Vigil-Delivery": step["run_id"], "X-Vigil-Event": "playbook.step"}
    try:
        headers["X-Vigil-Signature"] = signature_header(body, signing_keys(), int(utcnow().timestamp()))
    except Exception as error:
        logger.exception("no signing key: playbook webhook not sent")
        return book.webhook_outcome(None, f"not sent: no signing key ({type(error).__name__})", target)
    result = post_json(step["url"], body, headers, channel="playbook")
    return book.webhook_outcome(result.status, result.error, target)
