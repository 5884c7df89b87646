"""Heartbeats, keyed by the hash of their ping token (a ping costs one read and one write).

Listed through gsi1 (HEARTBEATS). A heartbeat that is up is also in the sparse due index on gsi2
(HEARTBEAT_DUE, sorted by due moment): the minute's check is one query for everything overdue.
A missed heartbeat leaves that index until its next ping puts it back."""

from __future__ import annotations

from typing import Any

from vigil.adapters import dynamo
from vigil.adapters.stores.keys import without_keys
from vigil.domain.heartbeats import Heartbeat

INDEX = "HEARTBEATS"
DUE_INDEX = "HEARTBEAT_DUE"
SK = "HEARTBEAT"


def _pk(token_hash: str) -> str:
    return f"HEARTBEAT#{token_hash}"


def _due_sk(due_at: str, heartbeat_id: str) -> str:
    return f"{due_at}#{heartbeat_id}"


def create(heartbeat: Heartbeat, token_hash: str) -> None:
    dynamo.put(
        {
            "pk": _pk(token_hash),
            "sk": SK,
            "gsi1pk": INDEX,
            "gsi1sk": heartbeat.heartbeat_id,
            "gsi2pk": DUE_INDEX,
            "gsi2sk": _due_sk(heartbeat.due_at, heartbeat.heartbeat_id),
            **heartbeat.model_dump(),
        },
        condition="attribute_not_exists(pk)",
    )


def _heartbeat(item: dict[str, Any]) -> Heartbeat:
    return Heartbeat.model_validate(without_keys(item))


def all_stored() -> list[Heartbeat]:
    return [_heartbeat(item) for item in dynamo.query_all(INDEX, index="gsi1")]


def find(heartbeat_id: str) -> tuple[Heartbeat, str] | None:
    """The heartbeat and its token's hash."""
    items, _ = dynamo.query(INDEX, index="gsi1", sk_between=(heartbeat_id, heartbeat_id))
    return (_heartbeat(items[0]), items[0]["pk"].split("#", 1)[1]) if items else None


def by_token_hash(token_hash: str) -> Heartbeat | None:
    item = dynamo.get(_pk(token_hash), SK)
    return _heartbeat(item) if item else None


def delete(token_hash: str) -> None:
    dynamo.delete(_pk(token_hash), SK)


def overdue(now: str) -> list[tuple[Heartbeat, str]]:
    """Every heartbeat that is up and due before `now`, with its token's hash: one query."""
    items = dynamo.query_all(DUE_INDEX, index="gsi2", sk_between=("0", now))
    return [(_heartbeat(item), item["pk"].split("#", 1)[1]) for item in items]


def mark_missed(token_hash: str, due_at: str) -> bool:
    """True for the one caller that turned this miss from up to missed; the index may lag the
    table, so the condition (still up, still the same due moment) decides."""
    try:
        dynamo.update(
            _pk(token_hash),
            SK,
            "SET #state = :missed REMOVE gsi2pk, gsi2sk",
            {":missed": "missed", ":up": "up", ":due": due_at},
            names={"#state": "state"},
            condition="attribute_exists(pk) AND #state = :up AND due_at = :due",
        )
    except dynamo.ConditionFailed:
        return False
    return True


def record_ping(token_hash: str, heartbeat: Heartbeat, now: str, due_at: str) -> Heartbeat | None:
    """The heartbeat as it was before this ping (its state says whether the ping ends a miss);
    None when it was deleted meanwhile."""
    try:
        old = dynamo.update(
            _pk(token_hash),
            SK,
            "SET #state = :up, last_ping_at = :now, due_at = :due, gsi2pk = :index, gsi2sk = :sort",
            {
                ":up": "up",
                ":now": now,
                ":due": due_at,
                ":index": DUE_INDEX,
                ":sort": _due_sk(due_at, heartbeat.heartbeat_id),
            },
            names={"#state": "state"},
            condition="attribute_exists(pk)",
            returns="ALL_OLD",
        )
    except dynamo.ConditionFailed:
        return None
    return _heartbeat(old)
