"""Schedules: one item each holding the layers and the overrides, so that who is on call is
one GetItem. Every change is a versioned put (Conflict when it changed meanwhile)."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.adapters.stores._whole_items import WholeItems
from vigil.domain.errors import Conflict
from vigil.domain.oncall import StoredSchedule

_items = WholeItems(
    "SCHEDULE", "SCHEDULES", StoredSchedule, id_field="schedule_id", attribute="schedule", noun="schedule"
)
find, get, all_stored, delete = _items.find, _items.get, _items.all_stored, _items.delete


def put(schedule: StoredSchedule, *, previous_version: int | None) -> None:
    """Store `schedule`; `previous_version` None: only if new, else only if still at that version."""
    condition = "attribute_not_exists(pk)" if previous_version is None else "version = :previous"
    values = None if previous_version is None else {":previous": previous_version}
    try:
        dynamo.put(_items.item(schedule) | {"version": schedule.version}, condition=condition, values=values)
    except dynamo.ConditionFailed:
        raise Conflict(f"schedule {schedule.schedule_id} changed meanwhile; reload and retry") from None
