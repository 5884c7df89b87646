"""Incidents with their timeline, playbook progress and deletion audit.

Every change a person makes is conditional on the incident's `version`; the ladder's state,
alert counts and the playbook are written outside it (conditional only on the incident still
existing), so that they never make a responder's pending edit a conflict. A status change that
stops the ladder ends the ladder's wait in the same write and returns the incident as it was:
the task token to answer is the one that write removed, so answering needs no read.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from vigil.adapters import dynamo
from vigil.adapters.stores.keys import incident_pk, without_keys
from vigil.domain.errors import Conflict, NotFound
from vigil.domain.incidents import LadderState, StoredIncident

Record = dict[str, Any]
INDEX = "INCIDENTS"
META = "META"
TIMELINE = "TL#"


def _incident(item: Record) -> StoredIncident:
    return StoredIncident.model_validate(without_keys(item))


def create(record: StoredIncident) -> bool:
    """Store a new incident; False when it already exists (a retry or a race)."""
    incident_id = record.incident_id
    item = {
        **record.stored(),
        "pk": incident_pk(incident_id),
        "sk": META,
        "gsi2pk": INDEX,
        "gsi2sk": f"{record.created_at}#{incident_id}",
    }
    try:
        dynamo.put(item, condition="attribute_not_exists(pk)")
    except dynamo.ConditionFailed:
        return False
    return True


def find(incident_id: str, *, consistent: bool = True) -> StoredIncident | None:
    item = dynamo.get(incident_pk(incident_id), META, consistent=consistent)
    return _incident(item) if item else None


def get(incident_id: str) -> StoredIncident:
    record = find(incident_id)
    if record is None:
        raise NotFound(f"no incident {incident_id}")
    return record


def update_versioned(incident_id: str, version: int, sets: dict[str, Any]) -> StoredIncident:
    """Set fields if the incident is still at `version`; Conflict when someone got there first."""
    names = {f"#f{i}": name for i, name in enumerate(sets)}
    values = {f":v{i}": value for i, value in enumerate(sets.values())}
    expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(sets))) + ", version = :next"
    try:
        item = dynamo.update(
            incident_pk(incident_id),
            META,
            expression,
            {**values, ":next": version + 1, ":expected": version},
            names=names,
            condition="version = :expected",
        )
    except dynamo.ConditionFailed:
        raise Conflict(f"incident {incident_id} was changed by someone else; retry") from None
    return _incident(item)


# The ladder's wait ends with a status change: its state, no token to answer, no next escalation.
_END_WAIT = (
    "escalation.#ladder_state = :ladder_state",
    "escalation.task_token = :none",
    "escalation.next_escalation_at = :none",
)


def update_status(
    incident_id: str, version: int, sets: dict[str, Any], *, ladder_state: str | None = None
) -> tuple[StoredIncident, StoredIncident]:
    """Set the status fields if the incident is still at `version` (Conflict if not); with
    `ladder_state`, the same write ends the ladder's wait (the incident must have its
    `escalation` map). Returns the incident before and after the write."""
    names, values, clauses = _sets(sets)
    values |= {":next": version + 1, ":expected": version}
    clauses.append("version = :next")
    if ladder_state:
        names, values = _ending_wait(names, values, ladder_state)
        clauses.extend(_END_WAIT)
    try:
        old = dynamo.update(
            incident_pk(incident_id),
            META,
            "SET " + ", ".join(clauses),
            values,
            names=names,
            condition="version = :expected",
            returns="ALL_OLD",
        )
    except dynamo.ConditionFailed:
        raise Conflict(f"incident {incident_id} was changed by someone else; retry") from None
    before = without_keys(old)
    return _incident(before), _incident(_after(before, sets, ladder_state=ladder_state))


def resolve_with_last_alert(
    incident_id: str, sets: dict[str, Any], *, ladder_state: str, from_statuses: list[str]
) -> tuple[StoredIncident, StoredIncident] | None:
    """Count one firing alert resolved and, in the same write, resolve the incident with `sets`
    and end its ladder's wait: only if it was the last firing alert, the status is one of
    `from_statuses` and the ladder state exists. None when not (nothing was written)."""
    names, values, clauses = _sets(sets)
    names, values = _ending_wait(names, values, ladder_state)
    names["#current"] = "status"
    allowed = {f":from{i}": status for i, status in enumerate(from_statuses)}
    values |= {":one": 1, ":minus": -1, **allowed}
    clauses += ["version = version + :one", *_END_WAIT]
    condition = (
        f"firing_alerts = :one AND #current IN ({', '.join(allowed)}) AND attribute_exists(escalation)"
    )
    try:
        old = dynamo.update(
            incident_pk(incident_id),
            META,
            "SET " + ", ".join(clauses) + " ADD firing_alerts :minus",
            values,
            names=names,
            condition=condition,
            returns="ALL_OLD",
        )
    except dynamo.ConditionFailed:
        return None
    before = without_keys(old)
    after = _after(before, sets, ladder_state=ladder_state)
    return _incident(before), _incident({**after, "firing_alerts": int(before["firing_alerts"]) - 1})


def _sets(sets: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any], list[str]]:
    names = {f"#f{i}": name for i, name in enumerate(sets)}
    values = {f":v{i}": value for i, value in enumerate(sets.values())}
    return names, values, [f"#f{i} = :v{i}" for i in range(len(sets))]


def _ending_wait(
    names: dict[str, str], values: dict[str, Any], ladder_state: str
) -> tuple[dict[str, str], dict[str, Any]]:
    return {**names, "#ladder_state": "state"}, {**values, ":ladder_state": ladder_state, ":none": None}


def _after(before: Record, sets: dict[str, Any], *, ladder_state: str | None) -> Record:
    """The incident as a versioned write of `sets` left it (what ALL_NEW would have returned)."""
    after = {**before, **sets, "version": int(before["version"]) + 1}
    if ladder_state:
        waiting = before.get("escalation") or {}
        after["escalation"] = {
            **waiting,
            "state": ladder_state,
            "task_token": None,
            "next_escalation_at": None,
        }
    return after


def _update_if_exists(incident_id: str, expression: str, values: dict[str, Any]) -> StoredIncident | None:
    """An unversioned update that never brings a deleted incident back; None if it is gone."""
    try:
        item = dynamo.update(
            incident_pk(incident_id), META, expression, values, condition="attribute_exists(pk)"
        )
    except dynamo.ConditionFailed:
        return None
    return _incident(item)


def set_escalation(incident_id: str, escalation: LadderState) -> None:
    _update_if_exists(incident_id, "SET escalation = :e", {":e": escalation.stored()})


def end_ladder_run(incident_id: str, run: int, escalation: LadderState) -> bool:
    """Store how ladder run `run` ended, only while it is still the incident's current run: a
    person who moved the ladder meanwhile (a newer run) keeps the state they set. False when it
    did not hold (or the incident is gone)."""
    current = "ladder_runs = :run" if run else "(attribute_not_exists(ladder_runs) OR ladder_runs = :run)"
    try:
        dynamo.update(
            incident_pk(incident_id),
            META,
            "SET escalation = :e",
            {":e": escalation.stored(), ":run": run},
            condition=f"attribute_exists(pk) AND {current}",
        )
    except dynamo.ConditionFailed:
        return False
    return True


def wait_on_rung(incident_id: str, paging_statuses: list[str], escalation: LadderState) -> bool:
    """The ladder waits on a rung (its token stored) only if the incident is still in one of
    `paging_statuses`: a status change stored meanwhile, which could not see this token to
    answer it, stops the page instead. False when it did not hold (or the incident is gone)."""
    allowed = {f":s{i}": status for i, status in enumerate(paging_statuses)}
    try:
        dynamo.update(
            incident_pk(incident_id),
            META,
            "SET escalation = :e",
            {":e": escalation.stored(), **allowed},
            names={"#status": "status"},
            condition=f"#status IN ({', '.join(allowed)})",
        )
    except dynamo.ConditionFailed:
        return False
    return True


def set_ladder_runs(incident_id: str, runs: int) -> None:
    _update_if_exists(incident_id, "SET ladder_runs = :r", {":r": runs})


def count_alerts(incident_id: str, *, alerts: int = 0, firing: int = 0) -> StoredIncident | None:
    """Add to the incident's alert and firing-alert counts; None if the incident is gone."""
    adds = {name: n for name, n in (("alert_count", alerts), ("firing_alerts", firing)) if n}
    expression = "ADD " + ", ".join(f"{name} :{name}" for name in adds)
    return _update_if_exists(incident_id, expression, {f":{name}": n for name, n in adds.items()})


# ----------------------------------------------------------------------------- playbook progress
def attach_playbook(incident_id: str, progress: dict[str, Any], *, previous_attachment: int | None) -> None:
    """Replace the playbook if the current one is still `previous_attachment` (None: none yet)."""
    if previous_attachment is None:
        condition, names = "attribute_not_exists(#pb)", {"#pb": "playbook"}
        values: dict[str, Any] = {":pb": progress}
    else:
        condition, names = "#pb.#n = :previous", {"#pb": "playbook", "#n": "attachment"}
        values = {":pb": progress, ":previous": previous_attachment}
    try:
        dynamo.update(
            incident_pk(incident_id), META, "SET #pb = :pb", values, names=names, condition=condition
        )
    except dynamo.ConditionFailed:
        raise Conflict(
            f"the playbook of incident {incident_id} changed meanwhile; reload and retry"
        ) from None


def write_step(
    incident_id: str,
    attachment: int,
    step: dict[str, Any],
    *,
    unless_running_since: str | None = None,
    only_run: str | None = None,
) -> bool:
    """Replace one step if the playbook is still the same attachment; False if not.
    `unless_running_since`: only if the step is not running, or its run began before then.
    `only_run`: only if no one marked the step since that run began."""
    path = f"#pb.#steps[{int(step['number']) - 1}]"
    names = {"#pb": "playbook", "#steps": "steps", "#n": "attachment"}
    values: dict[str, Any] = {":step": step, ":attachment": attachment}
    condition = "#pb.#n = :attachment"
    if unless_running_since is not None:
        names |= {"#status": "status", "#started": "started_at"}
        values |= {":running": "running", ":stale": unless_running_since}
        condition += f" AND ({path}.#status <> :running OR {path}.#started < :stale)"
    elif only_run is not None:
        names |= {"#run": "run_id"}
        values |= {":run": only_run}
        condition += f" AND {path}.#run = :run"
    try:
        dynamo.update(
            incident_pk(incident_id), META, f"SET {path} = :step", values, names=names, condition=condition
        )
    except dynamo.ConditionFailed:
        return False
    return True


# ----------------------------------------------------------------------------- timeline
def add_entries(incident_id: str, entries: list[dict[str, Any]]) -> None:
    """Append the entries of one change (written at once, listed in this order) in one item."""
    if len(entries) == 1:
        add_entry(incident_id, entries[0])
        return
    at = entries[0]["at"]
    dynamo.put(
        {
            "pk": incident_pk(incident_id),
            "sk": f"{TIMELINE}{at}#{secrets.token_hex(4)}",
            "at": at,
            "entries": entries,
        }
    )


def add_entry(incident_id: str, entry: dict[str, Any], *, entry_id: str | None = None) -> None:
    """Append a timeline entry. With `entry_id` the write is idempotent (a retried step adds it once)."""
    item = {
        **entry,
        "pk": incident_pk(incident_id),
        # Idempotent entries are keyed by their id alone; reads order every entry by `at`.
        "sk": f"{TIMELINE}{entry['at']}#{secrets.token_hex(4)}"
        if entry_id is None
        else f"{TIMELINE}E#{entry_id}",
    }
    if entry_id is None:
        dynamo.put(item)
        return
    with contextlib.suppress(dynamo.ConditionFailed):
        dynamo.put(item, condition="attribute_not_exists(pk)")


def entries(incident_id: str) -> list[Record]:
    """The stored timeline entries, oldest first."""
    return _entries_of(dynamo.query_all(incident_pk(incident_id), sk_prefix=TIMELINE))


def with_entries(incident_id: str) -> tuple[StoredIncident, list[Record]]:
    """The incident and its stored timeline entries, oldest first: one consistent Query of its
    partition (the item and its entries share it)."""
    items = list(dynamo.query_all(incident_pk(incident_id), consistent=True))
    record = next((_incident(i) for i in items if i["sk"] == META), None)
    if record is None:
        raise NotFound(f"no incident {incident_id}")
    return record, _entries_of(i for i in items if i["sk"].startswith(TIMELINE))


def _entries_of(items: Iterable[Record]) -> list[Record]:
    """Timeline items, oldest first, each change's entries in the order they were written."""
    ordered = sorted(items, key=lambda e: (e["at"], e["sk"]))
    return [without_keys(e) for item in ordered for e in item.get("entries") or [item]]


# ----------------------------------------------------------------------------- lists
def page(
    keep: Callable[[StoredIncident], bool],
    limit: int,
    cursor: str | None,
    *,
    created_between: tuple[str, str],
) -> tuple[list[StoredIncident], str | None]:
    """Newest first, the incidents `keep` accepts; the cursor is opaque to callers."""
    return dynamo.page(INDEX, "gsi2", _incident, keep, limit, cursor, sk_between=created_between)


def created_between(window: tuple[str, str] | None = None) -> Iterator[StoredIncident]:
    for item in dynamo.query_all(INDEX, index="gsi2", sk_between=window):
        yield _incident(item)


def statuses() -> Iterator[str]:
    """The status of every incident, read alone: a whole incident is far bigger."""
    for item in dynamo.query_all(INDEX, index="gsi2", only=("status",)):
        yield str(item["status"])


# ----------------------------------------------------------------------------- deletion
def delete_with_audit(record: StoredIncident, *, actor: str, forced: bool, at: str) -> None:
    """Delete the incident and its timeline; an audit record of it stays."""
    incident_id = record.incident_id
    timeline_items = list(dynamo.query_all(incident_pk(incident_id), sk_prefix=TIMELINE))
    dynamo.put(
        {
            "pk": f"AUDIT#{incident_id}",
            "sk": f"DELETED#{at}",
            "gsi1pk": "AUDIT",
            "gsi1sk": at,
            "action": "incident_deleted",
            "actor": actor,
            "at": at,
            "forced": forced,
            "incident": record.stored(),
            "timeline_entries": len(_entries_of(timeline_items)),
        }
    )
    for item in timeline_items:
        dynamo.delete(item["pk"], item["sk"])
    dynamo.delete(incident_pk(incident_id), META)
