"""Handoff notices: one item per (schedule, handoff instant, person, on|off), claimed by a
conditional write before the person is notified, so that overlapping runs notify once.

A claim is a lease: a run that died between its claim and its notices leaves a claim that a
later run may take again once the lease has lapsed (its messages keep their delivery ids, so
what did go out is not sent twice). The item expires a week after the handoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.adapters import dynamo
from vigil.domain.clock import iso

SK = "NOTICE"
KEPT_FOR = timedelta(days=7)


def _pk(schedule_id: str, at: datetime, user_id: str, direction: str) -> str:
    return f"HANDOFF#{schedule_id}#{iso(at)}#{user_id}#{direction}"


def claim(
    schedule_id: str, at: datetime, user_id: str, direction: str, *, now: datetime, lease_until: datetime
) -> bool:
    """True when this run is to notify: nobody claimed it yet, or a claimer's lease lapsed unfinished."""
    try:
        dynamo.update(
            _pk(schedule_id, at, user_id, direction),
            SK,
            "SET #s = :claimed, lease_until = :lease, claimed_at = :now, expires_at = :expires",
            {
                ":claimed": "claimed",
                ":lease": iso(lease_until),
                ":now": iso(now),
                ":expires": int((at + KEPT_FOR).timestamp()),
            },
            names={"#s": "status"},
            condition="attribute_not_exists(pk) OR (#s = :claimed AND lease_until < :now)",
            returns="NONE",
        )
    except dynamo.ConditionFailed:
        return False
    return True


def finish(schedule_id: str, at: datetime, user_id: str, direction: str, *, now: datetime) -> None:
    dynamo.update(
        _pk(schedule_id, at, user_id, direction),
        SK,
        "SET #s = :notified, notified_at = :now",
        {":notified": "notified", ":now": iso(now)},
        names={"#s": "status"},
        returns="NONE",
    )
