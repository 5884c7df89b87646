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

from vigil.adapters import automation, dynamo
from vigil.adapters.http import check_url, post_json
from vigil.adapters.signing import signing_keys
from vigil.domain import playbooks as book
from vigil.domain.builtin_playbooks import built_in_playbooks
from vigil.domain.clock import iso, utcnow
from vigil.domain.errors import Conflict, NotFound
from vigil.domain.messages import canonical_json, signature_header
from vigil.domain.playbooks import Playbook, PlaybookIn, StepRequest
from vigil.observability import count, logger
from vigil.services import incidents

INDEX = "PLAYBOOKS"


def _pk(playbook_id: str) -> str:
    return f"PLAYBOOK#{playbook_id}"


# ----------------------------------------------------------------------------- the catalogue
def list_playbooks() -> list[Playbook]:
    stored = [Playbook.model_validate(i["playbook"]) for i in dynamo.query_all(INDEX, index="gsi1")]
    return [*built_in_playbooks().values(), *sorted(stored, key=lambda p: p.playbook_id)]


def get_playbook(playbook_id: str) -> Playbook:
    if playbook_id in built_in_playbooks():
        return built_in_playbooks()[playbook_id]
    item = dynamo.get(_pk(playbook_id), "META")
    if not item:
        raise NotFound(f"no playbook {playbook_id}")
    return Playbook.model_validate(item["playbook"])


def create_playbook(
    data: PlaybookIn, *, actor: str, playbook_id: str | None = None, idempotency_key: str | None = None
) -> tuple[Playbook, bool]:
    """Store a new playbook; (playbook, False) when an `Idempotency-Key` retry finds it stored."""
    chosen = playbook_id or _id_for(actor, idempotency_key)
    _refuse_built_in(chosen)
    _check_targets(data)
    now = iso(utcnow())
    playbook = _playbook(data, chosen, version=1, created_at=now, actor=actor)
    try:
        dynamo.put(_item(playbook), condition="attribute_not_exists(pk)")
    except Exception as error:
        if not dynamo.is_conditional_failure(error):
            raise
        if playbook_id is None and idempotency_key:
            return get_playbook(chosen), False
        raise Conflict(f"playbook {chosen} exists: PUT to replace it") from None
    return playbook, True


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
    try:
        dynamo.update(
            _pk(playbook_id),
            "META",
            "SET playbook = :playbook, version = :next",
            {
                ":playbook": playbook.model_dump(mode="json"),
                ":next": playbook.version,
                ":seen": current.version,
            },
            condition="version = :seen",
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            raise Conflict(f"playbook {playbook_id} was changed or deleted meanwhile; reload it") from None
        raise
    return playbook


def delete_playbook(playbook_id: str) -> Playbook:
    """Incidents it is attached to keep their copy of it."""
    _refuse_built_in(playbook_id)
    playbook = get_playbook(playbook_id)
    if not dynamo.delete(_pk(playbook_id), "META", condition="attribute_exists(pk)"):
        raise NotFound(f"no playbook {playbook_id}")
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


def _item(playbook: Playbook) -> dict[str, Any]:
    return {
        "pk": _pk(playbook.playbook_id),
        "sk": "META",
        "gsi1pk": INDEX,
        "gsi1sk": playbook.playbook_id,
        "version": playbook.version,
        "playbook": playbook.model_dump(mode="json"),
    }


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
def choose_for(record: dict[str, Any]) -> dict[str, Any] | None:
    """The best-matching playbook's progress for a new incident, stored with the incident in
    the same write (the timeline shows it, with the reasons, from the incident record).

    Best effort: a failure is logged and counted, never raised, so that it cannot keep an
    incident from opening."""
    try:
        match = book.best_match(list_playbooks(), record)
    except Exception:
        logger.exception("playbook not chosen", extra={"incident_id": record.get("incident_id")})
        count("PlaybookAttachFailed")
        return None
    if match is None:
        return None
    count("PlaybooksAttached")
    progress = book.new_progress(
        match.playbook, attachment=1, actor="system", reason=f"matched: {match.explain()}", now=utcnow()
    )
    return {**progress, "score": match.score, "reasons": list(match.reasons)}


def opening_entry(record: dict[str, Any]) -> dict[str, Any] | None:
    """The timeline entry of a playbook chosen when the incident opened."""
    progress = record.get("playbook") or {}
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
    record = incidents.get_record(incident_id)
    current = record.get("playbook")
    attachment = int(current["attachment"]) + 1 if current else 1
    match = book.score(playbook, record)
    reason = f"chosen by {actor}" + (f"; it matches: {match.explain()}" if match.score > 0 else "")
    progress = book.new_progress(playbook, attachment=attachment, actor=actor, reason=reason, now=utcnow())
    _store_progress(incident_id, progress, previous=current)
    incidents.add_timeline(
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


def _store_progress(incident_id: str, progress: dict[str, Any], *, previous: dict[str, Any] | None) -> None:
    if previous is None:
        condition, names = "attribute_not_exists(#pb)", {"#pb": "playbook"}
        values: dict[str, Any] = {":pb": progress}
    else:
        condition, names = "#pb.#n = :previous", {"#pb": "playbook", "#n": "attachment"}
        values = {":pb": progress, ":previous": previous["attachment"]}
    try:
        dynamo.update(
            incidents.incident_pk(incident_id),
            "META",
            "SET #pb = :pb",
            values,
            names=names,
            condition=condition,
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            raise Conflict(
                f"the playbook of incident {incident_id} changed meanwhile; reload and retry"
            ) from None
        raise


# ----------------------------------------------------------------------------- steps
def update_step(incident_id: str, number: int, status: StepRequest, note: str, *, actor: str) -> None:
    """Mark a step done, skipped or failed, or (`run`) run an automated step now."""
    record, progress = _incident_with_playbook(incident_id)
    step = book.step_of(progress, number)
    if status == "run":
        _run(record, progress, step, note, actor)
        return
    marked = book.marked(step, status, note, actor=actor, now=utcnow())
    if not _write_step(incident_id, progress["attachment"], marked):
        raise Conflict(f"the playbook of incident {incident_id} changed meanwhile; reload and retry")
    incidents.add_timeline(
        incident_id,
        "playbook_step",
        _step_line(progress, marked) + f" {status}" + (f": {note}" if note else ""),
        actor=actor,
        data={"playbook_id": progress["playbook_id"], "step": number, "status": status, "note": note},
    )


def _incident_with_playbook(incident_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    record = incidents.get_record(incident_id)
    if not record.get("playbook"):
        raise NotFound(
            f"incident {incident_id} has no playbook: attach one with "
            f"POST /api/incident_response/{incident_id}/playbook"
        )
    return record, record["playbook"]


def _step_line(progress: dict[str, Any], step: dict[str, Any]) -> str:
    return f"step {step['number']}/{len(progress['steps'])} '{step['title']}'"


def _run(
    record: dict[str, Any], progress: dict[str, Any], step: dict[str, Any], note: str, actor: str
) -> None:
    incident_id, now = record["incident_id"], utcnow()
    book.check_runnable(step, now)
    run_id = f"run_{secrets.token_hex(8)}"
    claimed = book.claimed(step, run_id, note, actor=actor, now=now)
    if not _write_step(incident_id, progress["attachment"], claimed, guard=("not_running", now)):
        raise Conflict(f"step {step['number']} is already running, or the playbook changed; reload")
    outcome = _execute(record, progress, claimed, actor)
    recorded = _write_step(
        incident_id, progress["attachment"], book.ran(claimed, outcome, now=utcnow()), guard=("run", run_id)
    )
    count("PlaybookStepsRun")
    if outcome.status == "failed":
        count("PlaybookStepsFailed")
    incidents.add_timeline(
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
    record: dict[str, Any], progress: dict[str, Any], step: dict[str, Any], actor: str
) -> book.RunOutcome:
    if step["action"] == "webhook":
        return _call_webhook(record, progress, step, actor)
    started = automation.start_automation(
        step["document_name"], step.get("parameters") or {}, run_id=step["run_id"]
    )
    return book.automation_outcome(step["document_name"], started.execution_id, started.error)


def _call_webhook(
    record: dict[str, Any], progress: dict[str, Any], step: dict[str, Any], actor: str
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


def _write_step(
    incident_id: str, attachment: int, step: dict[str, Any], *, guard: tuple[str, Any] | None = None
) -> bool:
    """Replace one step, if the playbook is still the same attachment (and the guard holds):
    `("not_running", now)` claims a step that is not running or whose run lapsed,
    `("run", run_id)` records a result only if no one marked the step since the run began."""
    path = f"#pb.#steps[{int(step['number']) - 1}]"
    names = {"#pb": "playbook", "#steps": "steps", "#n": "attachment"}
    values: dict[str, Any] = {":step": step, ":attachment": attachment}
    condition = "#pb.#n = :attachment"
    if guard and guard[0] == "not_running":
        names |= {"#status": "status", "#started": "started_at"}
        values |= {":running": "running", ":stale": iso(guard[1] - book.RUN_LEASE)}
        condition += f" AND ({path}.#status <> :running OR {path}.#started < :stale)"
    elif guard and guard[0] == "run":
        names |= {"#run": "run_id"}
        values |= {":run": guard[1]}
        condition += f" AND {path}.#run = :run"
    try:
        dynamo.update(
            incidents.incident_pk(incident_id),
            "META",
            f"SET {path} = :step",
            values,
            names=names,
            condition=condition,
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            return False
        raise
    return True
