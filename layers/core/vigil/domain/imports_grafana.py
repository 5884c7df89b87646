"""Grafana OnCall's public API JSON (its /api/v1 answers) mapped to Vigil's people, schedules and
escalation policies. The body holds, each as a list answer ({"results": [...]}), a bare list or
one object: `users`, `schedules`, `on_call_shifts`, `escalation_chains` and
`escalation_policies` (the chains' steps).

A shift becomes a layer: `single_event` a layer that ends with it, `recurrent_event` and
`rolling_users` a daily or weekly rotation (an hourly one a custom rotation) whose duration, when
shorter than a turn, becomes a window restricted to `by_day`. Shifts of a higher `level` win, as
later layers do in Vigil. Shifts of type `override` become overrides. What Vigil's layers cannot
say (every other week, monthly rules, several people on call at once) is reported unmapped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from vigil.domain.escalation import EscalationRule
from vigil.domain.imports import (
    ImportedPolicy,
    ImportedSchedule,
    ImportPlan,
    Json,
    add_person,
    after,
    weekly_windows,
)
from vigil.domain.schedules import WEEKDAYS, Layer, Override, Restriction, local_to_utc, time_zone

ICAL_DAYS = {"MO": "monday", "TU": "tuesday", "WE": "wednesday", "TH": "thursday", "FR": "friday"}
ICAL_DAYS |= {"SA": "saturday", "SU": "sunday"}
TURN_SECONDS = {"daily": 86_400, "weekly": 7 * 86_400}
NOTIFY_STEPS = {
    "notify_persons": "persons_to_notify",
    "notify_person_next_each_time": "persons_to_notify_next_each_time",
}


def results(value: Any) -> list[Json]:
    """The objects of a list answer ({"results": [...]}), a bare list or one object."""
    if isinstance(value, dict):
        return list(value["results"]) if isinstance(value.get("results"), list) else [value]
    return list(value or [])


def from_grafana_oncall(body: Json) -> ImportPlan:
    plan = ImportPlan()
    for user in results(body.get("users")):
        _person(user, plan)
    shifts = {str(s.get("id")): s for s in results(body.get("on_call_shifts"))}
    for schedule in results(body.get("schedules")):
        _schedule(schedule, shifts, plan)
    steps = results(body.get("escalation_policies"))
    for chain in results(body.get("escalation_chains")):
        own = [s for s in steps if s.get("escalation_chain_id") == chain.get("id")]
        _chain(chain, sorted(own, key=lambda s: int(s.get("position") or 0)), plan)
    return plan


def _person(user: Json, plan: ImportPlan) -> None:
    user_id = str(user.get("id"))
    methods = [{"id": "email", "type": "email", "address": user.get("email")}]
    methods += [
        {"id": f"slack{index}", "type": "slack", "address": slack["user_id"]}
        for index, slack in enumerate(user.get("slack") or [])
        if slack.get("user_id")
    ]
    person = {"user_id": user_id, "name": user.get("username") or user_id, "email": user.get("email")}
    if not add_person(
        plan, {**person, "time_zone": user.get("timezone") or "UTC", "contact_methods": methods}
    ):
        return
    plan.unmapped.append(
        f"user {user_id}: personal notification rules are not in the users API; "
        "add them with PUT /api/users/{user_id}"
    )


def _schedule(schedule: Json, shifts: dict[str, Json], plan: ImportPlan) -> None:
    source_id = str(schedule.get("id"))
    where = f"schedule {source_id}"
    if schedule.get("type") == "ical":
        plan.unmapped.append(f"{where}: an iCal-URL schedule; Vigil does not read remote calendars")
        return
    if schedule.get("ical_url_overrides"):
        plan.unmapped.append(f"{where}: overrides from an iCal URL are not read")
    zone = schedule.get("time_zone") or "UTC"
    layers: list[tuple[int, Layer]] = []
    overrides: list[Override] = []
    for shift_id in schedule.get("shifts") or []:
        shift = shifts.get(str(shift_id))
        if shift is None:
            plan.unmapped.append(f"{where}: shift {shift_id} is not in on_call_shifts")
            continue
        _shift(shift, zone, plan, layers, overrides)
    if not layers:
        plan.unmapped.append(f"{where}: no shift could be mapped; the schedule is left out")
        return
    ordered = [layer for _, layer in sorted(layers, key=lambda pair: pair[0])]
    plan.schedules.append(
        ImportedSchedule(source_id, schedule.get("name") or source_id, zone, ordered, overrides)
    )


def _shift(
    shift: Json, zone_name: str, plan: ImportPlan, layers: list[tuple[int, Layer]], overrides: list[Override]
) -> None:
    where = f"shift {shift.get('id')}"
    try:
        zone = time_zone(shift.get("time_zone") or zone_name)
        start_wall = datetime.fromisoformat(shift["start"]).replace(tzinfo=None)
        start = local_to_utc(start_wall, zone)
        duration = timedelta(seconds=int(shift["duration"]))
        participants = _participants(shift)
        if shift.get("type") == "override":
            overrides += [
                Override(id=str(shift["id"]), user_id=u, start=start, end=start + duration)
                for u in participants
            ]
            return
        layer = _layer(shift, participants, start_wall, zone.key, duration)
    except (KeyError, ValueError, ValidationError) as error:
        plan.unmapped.append(f"{where}: {error}")
        return
    layers.append((int(shift.get("level") or 0), layer))


def _participants(shift: Json) -> list[str]:
    if shift.get("type") == "rolling_users":
        groups = shift.get("rolling_users") or []
        if any(len(group) != 1 for group in groups):
            raise ValueError("a turn of several people at once; a Vigil layer has one person per turn")
        users = [str(group[0]) for group in groups]
        first = int(shift.get("start_rotation_from_user_index") or 0) % max(len(users), 1)
        return users[first:] + users[:first]
    users = [str(u) for u in shift.get("users") or []]
    if len(users) != 1 and shift.get("type") != "override":
        raise ValueError(f"{len(users)} people on call at once; a Vigil layer has one person per turn")
    return users


def _layer(shift: Json, users: list[str], start_wall: datetime, zone_name: str, duration: timedelta) -> Layer:
    start = local_to_utc(start_wall, time_zone(zone_name))
    layer: Json = {"name": shift.get("name"), "participants": users, "start": start}
    layer["handoff_time"] = start_wall.time()
    if shift.get("type") == "single_event":
        return Layer.model_validate({**layer, "rotation": "daily", "end": start + duration})
    frequency, interval = shift.get("frequency"), int(shift.get("interval") or 1)
    if shift.get("by_month") or shift.get("by_monthday"):
        raise ValueError("monthly rules (by_month, by_monthday) have no Vigil layer")
    if shift.get("until"):
        until = datetime.fromisoformat(shift["until"]).replace(tzinfo=None)
        layer["end"] = local_to_utc(until, time_zone(zone_name))
    if frequency == "hourly" and not shift.get("by_day") and duration == timedelta(hours=interval):
        return Layer.model_validate({**layer, "rotation": "custom", "shift_hours": interval})
    if frequency not in TURN_SECONDS or interval != 1:
        raise ValueError(
            f"repeats {frequency} every {interval}; Vigil's rotations turn every day, every week "
            "or every whole number of hours"
        )
    layer["rotation"] = frequency
    layer["restrictions"] = _restrictions(shift, frequency, start_wall, int(duration.total_seconds()))
    if frequency == "weekly":
        layer["handoff_day"] = WEEKDAYS[start_wall.weekday()]
    return Layer.model_validate(layer)


def _restrictions(shift: Json, frequency: str, start_wall: datetime, seconds: int) -> list[Restriction]:
    days = [ICAL_DAYS[day] for day in shift.get("by_day") or []]
    if seconds > TURN_SECONDS[frequency] or (days and seconds > 86_400):
        raise ValueError(f"a {seconds} s event is longer than its turn")
    opens = start_wall.time()
    if days:
        return [Restriction(start=opens, end=after(opens, seconds % 86_400), days=days)]  # type: ignore[arg-type]
    if seconds == TURN_SECONDS[frequency]:
        return []
    if frequency == "daily":
        return [Restriction(start=opens, end=after(opens, seconds))]
    return weekly_windows(start_wall.weekday(), opens, seconds)


def _chain(chain: Json, steps: list[Json], plan: ImportPlan) -> None:
    source_id = str(chain.get("id"))
    where = f"escalation chain {source_id}"
    rungs: list[tuple[int, list[str]]] = []
    waited = 0
    for step in steps:
        kind = step.get("type")
        if kind == "wait":
            waited += int(step.get("duration") or 0)
        elif kind in NOTIFY_STEPS or kind == "notify_on_call_from_schedule":
            rungs.append((waited, _step_targets(step)))
            waited = 0
        else:
            plan.unmapped.append(f"{where} step {step.get('id')}: a {kind} step has no Vigil rung")
    if rungs and rungs[0][0]:
        plan.unmapped.append(
            f"{where}: it waits {rungs[0][0]} s before its first page; Vigil's first rung pages at once"
        )
    targets = rungs[0][1] if rungs else []
    rules = [
        EscalationRule(escalation_level=level, escalate_to=target, escalate_after_seconds=delay)
        for level, (delay, found) in enumerate(rungs[1:], start=1)
        for target in found
    ]
    plan.policies.append(ImportedPolicy(source_id, chain.get("name") or source_id, targets, rules, 0))


def _step_targets(step: Json) -> list[str]:
    if step.get("type") == "notify_on_call_from_schedule":
        return [f"source:{step.get('notify_on_call_from_schedule')}"]
    return [f"user:{user}" for user in step.get(NOTIFY_STEPS[str(step.get("type"))]) or []]
