"""Importing on-call setups from other tools: their public API's JSON mapped to Vigil's people,
schedules and escalation policies, with what could not be mapped said in words. Pure: the
service (vigil.services.imports) stores the plan.

PagerDuty: the body holds what its REST API answers: `users` (GET /users/{id}),
`contact_methods` and `notification_rules` by user id (GET /users/{id}/contact_methods, ...),
`schedules` (GET /schedules/{id}), `overrides` by schedule id (GET /schedules/{id}/overrides) and
`escalation_policies` (GET /escalation_policies/{id}); each object bare or wrapped as the API
wraps it ({"user": {...}}). A layer's turn 0 is PagerDuty's `rotation_virtual_start`; the
layers keep their order (a later one wins, as in PagerDuty's final schedule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal

from pydantic import ValidationError

from vigil.domain.escalation import EscalationRule
from vigil.domain.people import Person
from vigil.domain.schedules import (
    WEEKDAYS,
    Layer,
    Override,
    Restriction,
    _first_handoff_wall,
    as_utc,
    local_to_utc,
    time_zone,
    wall_clock,
)

Json = dict[str, Any]
Rotation = Literal["daily", "weekly", "custom"]
DAY_SECONDS = 86_400
WEEK_SECONDS = 7 * DAY_SECONDS
ROTATIONS: dict[int, Rotation] = {DAY_SECONDS: "daily", WEEK_SECONDS: "weekly"}
PD_CONTACT_TYPES = {"email_contact_method": "email", "sms_contact_method": "sms"}


@dataclass
class ImportedSchedule:
    source_id: str
    name: str
    time_zone: str
    layers: list[Layer]
    overrides: list[Override]


@dataclass
class ImportedPolicy:
    source_id: str
    name: str
    targets: list[str]  # user:<id> or source:<schedule source id>
    rules: list[EscalationRule]
    repeat: int
    repeat_after_seconds: int | None = None  # the vendor's wait before the ladder repeats


@dataclass
class ImportPlan:
    people: list[Person] = field(default_factory=list)
    schedules: list[ImportedSchedule] = field(default_factory=list)
    policies: list[ImportedPolicy] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def unwrapped(item: Json, wrapper: str) -> Json:
    return item.get(wrapper, item) if isinstance(item.get(wrapper), dict) else item


# ----------------------------------------------------------------------------- PagerDuty
def from_pagerduty(body: Json) -> ImportPlan:
    plan = ImportPlan()
    for raw in body.get("users") or []:
        _pd_person(unwrapped(raw, "user"), body, plan)
    for raw in body.get("schedules") or []:
        schedule = unwrapped(raw, "schedule")
        overrides = unwrapped(body.get("overrides", {}).get(schedule.get("id"), {}), "overrides")
        _pd_schedule(schedule, overrides.get("overrides") or [], plan)
    for raw in body.get("escalation_policies") or []:
        _pd_policy(unwrapped(raw, "escalation_policy"), plan)
    return plan


def _pd_person(user: Json, body: Json, plan: ImportPlan) -> None:
    user_id = str(user.get("id"))
    methods = (body.get("contact_methods") or {}).get(user_id, {}).get("contact_methods") or []
    contact_methods = []
    for method in methods:
        kind = PD_CONTACT_TYPES.get(method.get("type", ""))
        if kind is None:
            plan.unmapped.append(
                f"user {user_id}: contact method {method.get('id')} ({method.get('type')}) has no Vigil kind"
            )
            continue
        address = method.get("address", "")
        if kind == "sms":
            address = f"+{method.get('country_code', '')}{address}"
        contact_methods.append(
            {"id": method["id"], "type": kind, "address": address, "label": method.get("label")}
        )
    if not methods and user.get("contact_methods"):
        plan.unmapped.append(
            f"user {user_id}: contact methods are references only "
            f"(send GET /users/{user_id}/contact_methods): pages go to the user's email"
        )
    known = {m["id"] for m in contact_methods}
    rules: dict[str, list[Json]] = {"high": [], "low": []}
    for rule in (body.get("notification_rules") or {}).get(user_id, {}).get("notification_rules") or []:
        method_id = (rule.get("contact_method") or {}).get("id")
        if method_id in known and rule.get("urgency") in rules:
            rules[rule["urgency"]].append(
                {
                    "contact_method_id": method_id,
                    "after_minutes": int(rule.get("start_delay_in_minutes") or 0),
                }
            )
        else:
            plan.unmapped.append(
                f"user {user_id}: notification rule {rule.get('id')} reaches no imported contact method"
            )
    person = {"user_id": user_id, "name": user.get("name") or user_id, "email": user.get("email")}
    person |= {"time_zone": user.get("time_zone") or "UTC", "contact_methods": contact_methods}
    add_person(plan, {**person, "notification_rules": rules})


def add_person(plan: ImportPlan, person: Json) -> bool:
    """Adds `person` to the plan if it is a valid Person, else says why not."""
    try:
        plan.people.append(Person.model_validate(person))
    except ValidationError as error:
        plan.unmapped.append(f"user {person['user_id']}: {first_error(error)}")
        return False
    return True


def _pd_schedule(schedule: Json, overrides: list[Json], plan: ImportPlan) -> None:
    source_id = str(schedule.get("id"))
    try:
        zone = time_zone(schedule.get("time_zone") or "UTC")
    except ValueError as error:
        plan.unmapped.append(f"schedule {source_id}: {error}")
        return
    layers = []
    for index, raw in enumerate(schedule.get("schedule_layers") or []):
        layer = _pd_layer(raw, zone.key, plan, f"schedule {source_id} layer {index}")
        if layer is not None:
            layers.append(layer)
    kept = []
    for raw in overrides:
        try:
            kept.append(
                Override(
                    id=str(raw["id"]), user_id=str(raw["user"]["id"]), start=raw["start"], end=raw["end"]
                )
            )
        except (KeyError, ValidationError) as error:
            plan.unmapped.append(f"schedule {source_id}: override {raw.get('id')}: {error}")
    if not layers:
        plan.unmapped.append(f"schedule {source_id}: no layer could be mapped; the schedule is left out")
        return
    name = schedule.get("name") or source_id
    plan.schedules.append(ImportedSchedule(source_id, name, zone.key, layers, kept))


def _pd_layer(raw: Json, zone_name: str, plan: ImportPlan, where: str) -> Layer | None:
    zone = time_zone(zone_name)
    seconds = int(raw.get("rotation_turn_length_seconds") or 0)
    rotation: Rotation = ROTATIONS.get(seconds, "custom")
    if rotation == "custom" and (seconds <= 0 or seconds % 3600):
        plan.unmapped.append(f"{where}: a turn of {seconds} s is not a whole number of hours")
        return None
    users = [str(u["user"]["id"]) for u in raw.get("users") or [] if u.get("user")]
    try:
        virtual_start = as_utc(datetime.fromisoformat(raw["rotation_virtual_start"]))
        restrictions = [r for item in raw.get("restrictions") or [] for r in _pd_restrictions(item)]
        layer = Layer(
            name=raw.get("name"),
            participants=users,
            rotation=rotation,
            shift_hours=seconds // 3600 if rotation == "custom" else None,
            handoff_time=wall_clock(virtual_start, zone).time(),
            handoff_day=WEEKDAYS[wall_clock(virtual_start, zone).weekday()] if rotation == "weekly" else None,
            start=raw["start"],
            end=raw.get("end"),
            restrictions=restrictions,
        )
    except (KeyError, ValueError, ValidationError) as error:
        plan.unmapped.append(f"{where}: {error}")
        return None
    turns = _turns_before(layer, zone_name, virtual_start, seconds)
    if turns is None:
        plan.unmapped.append(f"{where}: its handoffs do not fall on whole days from the rotation's start")
        return None
    shift = turns % len(users)
    return layer.model_copy(update={"participants": users[shift:] + users[:shift]})


def _turns_before(layer: Layer, zone_name: str, virtual_start: datetime, seconds: int) -> int | None:
    """How many of PagerDuty's turns come before Vigil's turn 0 of `layer` (which begins at its
    last handoff at or before its start), so that the same person is on call in both."""
    zone = time_zone(zone_name)
    anchor_wall = _first_handoff_wall(layer, zone)
    if layer.rotation == "custom":
        elapsed = (local_to_utc(anchor_wall, zone) - virtual_start).total_seconds()
        return int(elapsed // seconds) if elapsed % seconds == 0 else None
    days = (anchor_wall - wall_clock(virtual_start, zone)) / timedelta(days=1)
    period = 7 if layer.rotation == "weekly" else 1
    return int(days // period) if days % period == 0 else None


def _pd_restrictions(item: Json) -> list[Restriction]:
    """A daily or weekly restriction as windows of Vigil's (each at most one day long)."""
    start = time.fromisoformat(item["start_time_of_day"])
    seconds = int(item["duration_seconds"])
    if item.get("type") == "daily_restriction":
        if seconds >= DAY_SECONDS:
            return [Restriction(start=start, end=start)]
        return [Restriction(start=start, end=after(start, seconds))]
    return weekly_windows(int(item["start_day_of_week"]) - 1, start, seconds)  # PagerDuty: 1 is Monday


def weekly_windows(day: int, start: time, seconds: int) -> list[Restriction]:
    """A window opening on weekday `day` (0 is Monday) at `start` for `seconds`, as Vigil's
    windows of at most one day each."""
    windows, offset = [], start.hour * 3600 + start.minute * 60 + start.second
    while seconds > 0:
        length = min(seconds, DAY_SECONDS - offset)
        opens = after(time(0), offset)
        windows.append(Restriction(start=opens, end=after(opens, length), days=[WEEKDAYS[day % 7]]))
        seconds, offset, day = seconds - length, 0, day + 1
    return windows


def after(start: time, seconds: int) -> time:
    moment = datetime.combine(datetime(2000, 1, 1).date(), start) + timedelta(seconds=seconds)
    return moment.time()


def _pd_policy(policy: Json, plan: ImportPlan) -> None:
    source_id = str(policy.get("id"))
    rules = policy.get("escalation_rules") or []
    targets: list[str] = []
    escalations: list[EscalationRule] = []
    for level, rule in enumerate(rules):
        where = f"escalation policy {source_id} rule {level}"
        found = [t for t in (_pd_target(t, plan, where) for t in rule.get("targets") or []) if t]
        if level == 0:
            targets = found
            continue
        delay = int(rules[level - 1].get("escalation_delay_in_minutes") or 0)
        escalations += [
            EscalationRule(escalation_level=level, escalate_to=t, escalate_after_minutes=delay) for t in found
        ]
    if policy.get("services"):
        plan.unmapped.append(
            f"escalation policy {source_id}: its services are not imported; "
            "create them with POST /api/services"
        )
    plan.policies.append(
        ImportedPolicy(
            source_id,
            policy.get("name") or source_id,
            targets,
            escalations,
            int(policy.get("num_loops") or 0),
        )
    )


def _pd_target(target: Json, plan: ImportPlan, where: str) -> str | None:
    kind = target.get("type", "").removesuffix("_reference")
    if kind == "user":
        return f"user:{target['id']}"
    if kind == "schedule":
        return f"source:{target['id']}"
    plan.unmapped.append(f"{where}: a {kind or 'target'} target has no Vigil kind")
    return None


def first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
