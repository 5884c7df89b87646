"""On-call schedules: stored with their overrides in one item; who is on call is computed by
the pure domain (vigil.domain.schedules) from that one read."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.adapters import stores
from vigil.domain.clock import utcnow
from vigil.domain.config_code import kept_overrides
from vigil.domain.errors import InvalidInput, NotFound
from vigil.domain.oncall import OnCall, OverrideIn, ScheduleIn, StoredSchedule
from vigil.domain.people import ImportSource
from vigil.domain.schedules import Override, Shift, final_schedule, gaps, on_call_at
from vigil.domain.secrets import new_id
from vigil.services.people import require_users

MAX_RANGE = timedelta(days=93)


def create_schedule(data: ScheduleIn, schedule_id: str | None = None) -> StoredSchedule:
    """A new schedule, with a new id unless one is given (configuration as code names its own)."""
    _require_participants(data)
    schedule = StoredSchedule(schedule_id=schedule_id or new_id("sch"), **data.model_dump())
    stores.schedules.put(schedule, previous_version=None)
    return schedule


def replace_schedule(schedule_id: str, data: ScheduleIn) -> StoredSchedule:
    """New layers; the overrides stay."""
    current = get_schedule(schedule_id)
    _require_participants(data)
    schedule = StoredSchedule(
        schedule_id=schedule_id,
        overrides=current.overrides,
        version=current.version + 1,
        imported_from=current.imported_from,
        **data.model_dump(),
    )
    stores.schedules.put(schedule, previous_version=current.version)
    return schedule


def put_schedule(schedule_id: str, data: ScheduleIn, overrides: list[Override]) -> StoredSchedule:
    """Create or replace a schedule with these layers and overrides (configuration as code); its
    overrides that have ended stay, since a document leaves them out."""
    current = stores.schedules.find(schedule_id)
    _require_participants(data)
    require_users([(f"body.overrides[{i}].user_id", o.user_id) for i, o in enumerate(overrides)])
    kept = kept_overrides(current.overrides if current else [], overrides, utcnow())
    version = current.version if current else None
    schedule = StoredSchedule(
        schedule_id=schedule_id,
        overrides=kept,
        version=(version or 0) + 1,
        imported_from=current.imported_from if current else None,
        **data.model_dump(),
    )
    stores.schedules.put(schedule, previous_version=version)
    return schedule


def put_imported(
    data: ScheduleIn, overrides: list[Override], source: ImportSource, current: StoredSchedule | None
) -> StoredSchedule:
    """An imported schedule in one write: new, or `current` (imported from the same source
    before) with the new layers and the imported overrides replacing those of the same ids."""
    _require_participants(data)
    imported = {o.id for o in overrides}
    kept = [o for o in current.overrides if o.id not in imported] if current else []
    schedule = StoredSchedule(
        schedule_id=current.schedule_id if current else new_id("sch"),
        overrides=[*kept, *overrides],
        version=current.version + 1 if current else 1,
        imported_from=source,
        **data.model_dump(),
    )
    stores.schedules.put(schedule, previous_version=current.version if current else None)
    return schedule


def get_schedule(schedule_id: str) -> StoredSchedule:
    return stores.schedules.get(schedule_id)


def list_schedules() -> list[StoredSchedule]:
    return sorted(stores.schedules.all_stored(), key=lambda s: s.name)


def delete_schedule(schedule_id: str) -> StoredSchedule:
    schedule = get_schedule(schedule_id)
    stores.schedules.delete(schedule_id)
    return schedule


def add_override(schedule_id: str, data: OverrideIn) -> Override:
    current = get_schedule(schedule_id)
    require_users([("body.user_id", data.user_id)])
    override = Override(id=new_id("ovr"), **data.model_dump())
    _save_overrides(current, [*current.overrides, override])
    return override


def remove_override(schedule_id: str, override_id: str) -> Override:
    current = get_schedule(schedule_id)
    found = next((o for o in current.overrides if o.id == override_id), None)
    if found is None:
        raise NotFound(f"schedule {schedule_id} has no override {override_id}")
    _save_overrides(current, [o for o in current.overrides if o.id != override_id])
    return found


def _save_overrides(current: StoredSchedule, overrides: list[Override]) -> None:
    changed = current.model_copy(update={"overrides": overrides, "version": current.version + 1})
    stores.schedules.put(changed, previous_version=current.version)


def on_call(
    schedule_id: str, *, at: datetime | None, since: datetime | None, until: datetime | None
) -> OnCall:
    """The shift at `at` (now when nothing is given), or the final schedule of [since, until)."""
    schedule = get_schedule(schedule_id)
    if since is None and until is None:
        shift = on_call_at(schedule.schedule, at or utcnow())
        return OnCall(schedule_id=schedule_id, shifts=[shift] if shift else [], warnings=_nobody(shift))
    if since is None or until is None:
        raise InvalidInput("since" if since is None else "until", "give both since and until, or at")
    if until <= since:
        raise InvalidInput("until", "must be after since")
    if until - since > MAX_RANGE:
        raise InvalidInput("until", f"a range is at most {MAX_RANGE.days} days")
    found = gaps(schedule.schedule, since, until)
    return OnCall(
        schedule_id=schedule_id,
        shifts=final_schedule(schedule.schedule, since, until),
        gaps=found,
        warnings=[f"nobody is on call for {len(found)} stretch(es) of this range"] if found else [],
    )


def _nobody(shift: Shift | None) -> list[str]:
    return [] if shift else ["nobody is on call at this moment"]


def who_is_on_call(schedule_id: str, at: datetime) -> str | None:
    """The user id on call at `at` (one read), or None: no such schedule, or a gap."""
    schedule = stores.schedules.find(schedule_id)
    shift = on_call_at(schedule.schedule, at) if schedule else None
    return shift.user_id if shift else None


def _require_participants(data: ScheduleIn) -> None:
    require_users(
        [
            (f"body.layers[{i}].participants[{j}]", user_id)
            for i, layer in enumerate(data.layers)
            for j, user_id in enumerate(layer.participants)
        ]
    )
