"""Schedules: one item each holding the layers and the overrides, so that who is on call is
one GetItem. Every change is a versioned put (Conflict when it changed meanwhile)."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.domain.errors import Conflict
from vigil.domain.oncall import StoredSchedule

INDEX = "SCHEDULES"


def _pk(schedule_id: str) -> str:
    return f"SCHEDULE#{schedule_id}"


def put(schedule: StoredSchedule, *, previous_version: int | None) -> None:
    """Store `schedule`; `previous_version` None: only if new, else only if still at that version."""
    condition = "attribute_not_exists(pk)" if previous_version is None else "version = :previous"
    item = {
        "pk": _pk(schedule.schedule_id),
        "sk": "META",
        "gsi1pk": INDEX,
        "gsi1sk": schedule.schedule_id,
        "version": schedule.version,
        "schedule": schedule.model_dump(mode="json"),
    }
    values = None if previous_version is None else {":previous": previous_version}
    try:
        dynamo.put(item, condition=condition, values=values)
    except dynamo.ConditionFailed:
        raise Conflict(f"schedule {schedule.schedule_id} changed meanwhile; reload and retry") from None


def find(schedule_id: str) -> StoredSchedule | None:
    item = dynamo.get(_pk(schedule_id), "META")
    return StoredSchedule.model_validate(item["schedule"]) if item else None


def all_stored() -> list[StoredSchedule]:
    return [StoredSchedule.model_validate(i["schedule"]) for i in dynamo.query_all(INDEX, index="gsi1")]


def delete(schedule_id: str) -> bool:
    """False when there was no such schedule."""
    return dynamo.delete(_pk(schedule_id), "META", condition="attribute_exists(pk)")
