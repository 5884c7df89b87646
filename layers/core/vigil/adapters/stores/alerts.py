"""Alerts, the episodes they fire in, their link to an incident, and correlation windows.

The upsert is the one write of a duplicate: it stores the latest state, counts the
occurrence and returns the whole item (no read). `episode_started` is kept with
if_not_exists, so concurrent copies of one alert agree on the episode. The alert as it last
arrived (title, labels, payload, ...) is one map attribute, `latest`, set by one clause; items
written before it kept those fields at the top level, and `_alert` reads both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from vigil.adapters import dynamo
from vigil.adapters.stores.keys import incident_pk, without_keys
from vigil.domain.alerts import StoredAlert
from vigil.domain.clock import iso

Record = dict[str, Any]
INDEX = "ALERTS"
SK = "ALERT"
PAST = "EPISODE#"  # the sort key prefix of an alert's copy under an earlier incident
# The alert as it last arrived, in one map attribute. Its status stays an attribute of its own:
# the resolve's condition and write read it.
LATEST = "latest"
OWN_ATTRIBUTES = frozenset({"status"})
# Each arrival is kept as "<time>|<status>" for replays; trimmed to the newest KEEP_ARRIVALS once
# twice as many are kept (one write in KEEP_ARRIVALS), so that an item stays small.
KEEP_ARRIVALS = 200


def _pk(alert_id: str) -> str:
    return f"ALERT#{alert_id}"


def _episode_sk(alert_id: str, episode: str) -> str:
    return f"ALERT#{episode}#{alert_id}"


def _alert(item: Record) -> StoredAlert:
    """A stored alert, whichever way it was written: the `latest` map over the top-level fields
    that items written before the map (and copies under past incidents) have."""
    record = without_keys(item)
    latest = record.pop(LATEST, None)
    return StoredAlert.model_validate({**record, **latest} if isinstance(latest, dict) else record)


def find(alert_id: str, *, consistent: bool = False) -> StoredAlert | None:
    item = dynamo.get(_pk(alert_id), SK, consistent=consistent)
    return _alert(item) if item else None


def upsert(alert_id: str, fields: dict[str, Any], now: datetime, *, starts_episode: bool) -> StoredAlert:
    """Store the latest state of an alert, count the occurrence; the item as it now is."""
    stamp = iso(now)
    own = [name for name in fields if name in OWN_ATTRIBUTES]
    values: dict[str, Any] = {f":{name}": fields[name] for name in own}
    sets = [f"#{name} = :{name}" for name in own]
    values |= {
        ":latest": {name: value for name, value in fields.items() if name not in OWN_ATTRIBUTES},
        ":alert_id": alert_id,
        ":now": stamp,
        ":one": 1,
        ":index": INDEX,
        ":sort": f"{stamp}#{alert_id}",
    }
    sets += [
        f"{LATEST} = :latest",
        "alert_id = :alert_id",
        "prev_seen = if_not_exists(last_seen, :now)",
        "last_seen = :now",
        "first_seen = if_not_exists(first_seen, :now)",
        "gsi2pk = :index",
        "gsi2sk = if_not_exists(gsi2sk, :sort)",
        "arrivals = list_append(if_not_exists(arrivals, :empty), :arrival)",
    ]
    values |= {":empty": [], ":arrival": [arrival(now, str(fields.get("status", "firing")))]}
    if starts_episode:
        sets.append("episode_started = if_not_exists(episode_started, :now)")
    expression = "SET " + ", ".join(sets) + " ADD occurrences :one"
    names = {f"#{name}": name for name in own}
    return _alert(dynamo.update(_pk(alert_id), SK, expression, values, names=names or None))


def restart_episode(alert_id: str, stored: StoredAlert, now: datetime) -> StoredAlert:
    """A new episode starts now, unless a concurrent copy started it first (then: theirs)."""
    try:
        item = dynamo.update(
            _pk(alert_id),
            SK,
            "SET episode_started = :now",
            {":now": iso(now), ":old": stored.episode_started},
            condition="episode_started = :old",
        )
    except dynamo.ConditionFailed as failed:
        return _alert(failed.item) if failed.item else stored
    return _alert(item)


def link(alert_id: str, incident_id: str, episode: str, *, changed_at: datetime | None) -> bool:
    """Point the alert's current episode at its incident, once; False if it already was.
    `changed_at`: a firing after a resolve is a state change (kept for flapping)."""
    sets = "SET incident_id = :incident, incident_episode = :episode, gsi1pk = :pk, gsi1sk = :sk"
    values: dict[str, Any] = {
        ":incident": incident_id,
        ":pk": incident_pk(incident_id),
        ":sk": _episode_sk(alert_id, episode),
        ":episode": episode,
    }
    if changed_at is not None:
        sets += ", changes = list_append(if_not_exists(changes, :empty), :change)"
        values.update({":empty": [], ":change": [iso(changed_at)]})
    try:
        dynamo.update(
            _pk(alert_id),
            SK,
            f"{sets} REMOVE resolved_at",  # firing again: the resolve of an earlier episode is history
            values,
            condition="episode_started = :episode AND "
            "(attribute_not_exists(incident_episode) OR incident_episode <> :episode)",
        )
    except dynamo.ConditionFailed:
        return False
    return True


def keep_in_past_incident(alert: StoredAlert) -> None:
    """An alert firing into another incident leaves its earlier one (its index entry moves):
    a copy of it as it was stays listed under that incident (idempotent: one per episode)."""
    alert_id, incident_id, episode = alert.alert_id, alert.incident_id, alert.incident_episode
    if incident_id is None or episode is None:
        raise ValueError(f"alert {alert_id} is in no incident to keep it in")
    kept = alert.stored()
    past = {k: v for k, v in kept.items() if k not in ("episode_started", "changes", "prev_seen")}
    if alert.resolved_at:
        past |= {"status": "resolved", "last_seen": alert.resolved_at}
    dynamo.put(
        {
            **past,
            "pk": _pk(alert_id),
            "sk": f"{PAST}{episode}",
            "gsi1pk": incident_pk(incident_id),
            "gsi1sk": _episode_sk(alert_id, episode),
        }
    )


def list_under_incident(alert_id: str, incident_id: str, episode: str) -> None:
    """Show the alert among the incident's alerts (an incident opened from it by hand)."""
    dynamo.update(
        _pk(alert_id),
        SK,
        "SET gsi1pk = :pk, gsi1sk = :sk",
        {":pk": incident_pk(incident_id), ":sk": _episode_sk(alert_id, episode)},
    )


def move_to_incident(alert_id: str, incident_id: str) -> None:
    """The alert now belongs to another incident (a merge): its link and its listing move."""
    dynamo.update(
        _pk(alert_id),
        SK,
        "SET incident_id = :incident, gsi1pk = :pk",
        {":incident": incident_id, ":pk": incident_pk(incident_id)},
    )


def resolve(alert_id: str, now: datetime) -> tuple[StoredAlert | None, bool]:
    """(the alert before it resolved, True) on a state change; (None, seen before) when the
    alert was never stored or is resolved already."""
    try:
        old = dynamo.update(
            _pk(alert_id),
            SK,
            "SET #status = :resolved, resolved_at = :now, last_seen = :now, "
            "changes = list_append(if_not_exists(changes, :empty), :change), "
            "arrivals = list_append(if_not_exists(arrivals, :empty), :arrival) REMOVE episode_started",
            {
                ":resolved": "resolved",
                ":now": iso(now),
                ":empty": [],
                ":change": [iso(now)],
                ":arrival": [arrival(now, "resolved")],
            },
            names={"#status": "status"},
            condition="attribute_exists(pk) AND #status <> :resolved",
            returns="ALL_OLD",
        )
    except dynamo.ConditionFailed as failed:
        return None, failed.item is not None
    return _alert(old), True


def keep_changes(alert_id: str, changes: list[str]) -> None:
    dynamo.update(_pk(alert_id), SK, "SET changes = :kept", {":kept": changes})


def arrival(at: datetime, status: str) -> str:
    return f"{iso(at)}|{status}"


def keep_arrivals_of(alert_id: str, stored: StoredAlert) -> None:
    """Trim the arrivals list to the newest KEEP_ARRIVALS once it holds twice as many."""
    arrivals = stored.arrivals
    if len(arrivals) >= 2 * KEEP_ARRIVALS:
        dynamo.update(_pk(alert_id), SK, "SET arrivals = :kept", {":kept": arrivals[-KEEP_ARRIVALS:]})


def of_incident(incident_id: str) -> list[StoredAlert]:
    """The incident's alerts: those firing or resolved in it now, and the copies of those that
    have fired into another incident since (the current state first when both are here)."""
    items = list(dynamo.query_all(incident_pk(incident_id), index="gsi1", sk_prefix="ALERT#"))
    current = {i["alert_id"] for i in items if i["sk"] == SK}
    return [_alert(i) for i in items if i["sk"] == SK or i["alert_id"] not in current]


def page(
    keep: Callable[[StoredAlert], bool],
    limit: int,
    cursor: str | None,
    *,
    first_seen_between: tuple[str, str],
) -> tuple[list[StoredAlert], str | None]:
    """Alerts newest first (by first seen), those `keep` accepts; the cursor is opaque."""
    return dynamo.page(INDEX, "gsi2", _alert, keep, limit, cursor, sk_between=first_seen_between)


def first_seen_between(window: tuple[str, str]) -> Iterator[StoredAlert]:
    for item in dynamo.query_all(INDEX, index="gsi2", sk_between=window):
        yield _alert(item)


# ----------------------------------------------------------------------------- correlation windows
def correlation_pointer(integration_id: str, correlation_key: str) -> str:
    digest = hashlib.sha256(f"{integration_id}\x1f{correlation_key}".encode()).hexdigest()
    return f"CORRELATION#{digest[:32]}"


def claim_correlation(pointer: str, own_id: str, *, now: datetime, until: datetime, expires_at: int) -> str:
    """The incident the window's alerts go to: `own_id` if the window is free, else its holder's."""
    try:
        dynamo.update(
            pointer,
            "POINTER",
            "SET incident_id = :own, #until = :until, expires_at = :expires",
            {":own": own_id, ":until": iso(until), ":now": iso(now), ":expires": expires_at},
            names={"#until": "until"},
            condition="attribute_not_exists(incident_id) OR #until < :now OR incident_id = :own",
        )
    except dynamo.ConditionFailed as failed:
        return str(failed.item["incident_id"]) if failed.item else own_id
    return own_id


def release_correlation(pointer: str, incident_id: str) -> None:
    """Free the window, if it still belongs to this incident."""
    dynamo.delete(pointer, "POINTER", condition="incident_id = :id", values={":id": incident_id})
