"""Opsgenie's REST API JSON (its /v2 answers, `{"data": ..., "requestId": ..., "took": ...}`)
mapped to Vigil's people, schedules and escalation policies. The body holds, each as the API
answers it (or the bare `data`):

- `users`: `GET /v2/users/{id}?expand=contact` of each person (or one `GET /v2/users` list);
- `notification_rules`: by user id, the `GET /v2/users/{id}/notification-rules/{ruleId}` answers;
- `schedules`: `GET /v2/schedules/{id}` of each schedule (its rotations);
- `overrides`: by schedule id, `GET /v2/schedules/{id}/overrides`;
- `escalations`: `GET /v2/escalations/{id}` of each escalation.

A rotation becomes a layer whose turn 0 begins at the rotation's `startDate` (the handoff time
and, weekly, day are that instant's in the schedule's zone); a turn of `length` days or weeks is
each participant listed `length` times, so turns stay calendar days across DST changes; an
hourly rotation is a custom rotation of `length` hours. Rotations keep their order, in which a
later one wins where two cover the same time (Opsgenie puts both people on call there). An
escalation's rules are grouped by their delay (minutes since the alert, in Opsgenie): the first
group becomes the policy's targets, each later one a rung paging after the difference.
"""

from __future__ import annotations

from datetime import datetime, time
from itertools import pairwise
from typing import Any

from pydantic import ValidationError

from vigil.domain.escalation import EscalationRule
from vigil.domain.imports import (
    DAY_SECONDS,
    WEEK_SECONDS,
    ImportedPolicy,
    ImportedSchedule,
    ImportPlan,
    Json,
    add_person,
    first_error,
    weekly_windows,
)
from vigil.domain.people import ContactMethod
from vigil.domain.schedules import WEEKDAYS, Layer, Override, Restriction, as_utc, time_zone, wall_clock

UNIT_SECONDS = {"days": DAY_SECONDS, "hours": 3600, "minutes": 60, "seconds": 1}
CONTACT_TYPES = {"email": "email", "sms": "sms"}
MAX_PARTICIPANTS = 100


def answers(value: Any) -> list[Json]:
    """The objects of Opsgenie answers: `{"data": [...]}`, `{"data": {...}}`, bare objects, or a
    list of any of these."""
    if isinstance(value, list):
        return [found for item in value for found in answers(item)]
    if not isinstance(value, dict):
        return []
    data = value.get("data", value)
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else [data]


def from_opsgenie(body: Json) -> ImportPlan:
    plan = ImportPlan()
    rules = body.get("notification_rules") or {}
    for user in answers(body.get("users")):
        _person(user, answers(rules.get(str(user.get("id")))), plan)
    overrides = body.get("overrides") or {}
    for schedule in answers(body.get("schedules")):
        _schedule(schedule, answers(overrides.get(str(schedule.get("id")))), plan)
    for escalation in answers(body.get("escalations")):
        _escalation(escalation, plan)
    return plan


def seconds_of(duration: Json | None) -> int:
    """An Opsgenie Duration (`timeAmount` in `timeUnit`, minutes by default) in seconds."""
    if not duration:
        return 0
    unit = UNIT_SECONDS.get(duration.get("timeUnit") or "minutes")
    if unit is None:
        raise ValueError(f"a delay in {duration.get('timeUnit')} is not whole seconds")
    return int(duration.get("timeAmount") or 0) * unit


# ----------------------------------------------------------------------------- people
def _person(user: Json, rules: list[Json], plan: ImportPlan) -> None:
    user_id = str(user.get("id"))
    methods: list[ContactMethod] = []
    for contact in user.get("userContacts") or []:
        _contact(user_id, contact, methods, plan)
    steps: dict[str, list[Json]] = {"high": [], "low": []}
    for rule in rules:
        _rule(user_id, rule, methods, steps, plan)
    if not rules:
        plan.unmapped.append(
            f"user {user_id}: no notification rules given "
            f"(send GET /v2/users/{user_id}/notification-rules/{{ruleId}}); pages go to their email"
        )
    person = {"user_id": user_id, "name": user.get("fullName") or user_id, "email": user.get("username")}
    person |= {"time_zone": user.get("timeZone") or "UTC"}
    person |= {"contact_methods": [m.model_dump() for m in methods], "notification_rules": steps}
    add_person(plan, person)


def _contact(user_id: str, contact: Json, methods: list[ContactMethod], plan: ImportPlan) -> None:
    where = f"user {user_id}: contact {contact.get('id')}"
    kind = CONTACT_TYPES.get(contact.get("contactMethod") or contact.get("method") or "")
    if kind is None:
        method = contact.get("contactMethod") or contact.get("method")
        plan.unmapped.append(f"{where} ({method}) has no Vigil kind")
        return
    if contact.get("enabled") is False:
        plan.unmapped.append(f"{where} is disabled in Opsgenie; left out")
        return
    address = str(contact.get("to") or "")
    if kind == "sms":
        address = "+" + address.replace("-", "")  # Opsgenie writes "<country code>-<number>"
    try:
        methods.append(ContactMethod(id=str(contact.get("id")), type=kind, address=address))  # type: ignore[arg-type]
    except ValidationError as error:
        plan.unmapped.append(f"{where}: {error.errors()[0]['msg']}")


def _rule(
    user_id: str, rule: Json, methods: list[ContactMethod], steps: dict[str, list[Json]], plan: ImportPlan
) -> None:
    where = f"user {user_id}: notification rule {rule.get('id')}"
    if rule.get("actionType") != "create-alert":
        plan.unmapped.append(f"{where} ({rule.get('actionType')}): only new-alert rules page in Vigil")
        return
    if rule.get("enabled") is False:
        plan.unmapped.append(f"{where} is disabled in Opsgenie; left out")
        return
    if (rule.get("criteria") or {}).get("type", "match-all") != "match-all":
        plan.unmapped.append(f"{where}: its criteria are not kept; it applies to every page")
    if rule.get("timeRestriction"):
        plan.unmapped.append(f"{where}: its time restriction is not kept")
    if (rule.get("repeat") or {}).get("enabled"):
        plan.unmapped.append(f"{where}: its repeat is not kept; Vigil runs the steps once")
    for step in rule.get("steps") or []:
        method = _step_method(step, methods) if step.get("enabled", True) else None
        if method is None:
            plan.unmapped.append(f"{where}: step {step.get('id')} reaches no imported contact")
            continue
        try:
            after = {"contact_method_id": method.id, "after_seconds": seconds_of(step.get("sendAfter"))}
        except ValueError as error:
            plan.unmapped.append(f"{where}: step {step.get('id')}: {error}; left out")
            continue
        for urgency in ("high", "low"):
            steps[urgency].append(after)


def _step_method(step: Json, methods: list[ContactMethod]) -> ContactMethod | None:
    contact = step.get("contact") or {}
    kind = CONTACT_TYPES.get(contact.get("method") or "")
    address = str(contact.get("to") or "")
    address = "+" + address.replace("-", "") if kind == "sms" else address
    return next((m for m in methods if m.type == kind and m.address == address), None)


# ----------------------------------------------------------------------------- schedules
def _schedule(schedule: Json, overrides: list[Json], plan: ImportPlan) -> None:
    source_id = str(schedule.get("id"))
    where = f"schedule {source_id}"
    try:
        zone = time_zone(schedule.get("timezone") or "UTC")
    except ValueError as error:
        plan.unmapped.append(f"{where}: {error}")
        return
    rotations = schedule.get("rotations") or []
    layers = [
        layer
        for layer in (_layer(r, zone.key, plan, f"{where} rotation {r.get('id')}") for r in rotations)
        if layer is not None
    ]
    if len(layers) > 1:
        plan.unmapped.append(
            f"{where}: where its rotations cover the same time Opsgenie has several people on call; "
            "Vigil has the later rotation's"
        )
    if not layers:
        plan.unmapped.append(f"{where}: no rotation could be mapped; the schedule is left out")
        return
    kept = [o for o in (_override(raw, rotations, plan, where) for raw in overrides) if o is not None]
    name = schedule.get("name") or source_id
    plan.schedules.append(ImportedSchedule(source_id, name, zone.key, layers, kept))


def _layer(rotation: Json, zone_name: str, plan: ImportPlan, where: str) -> Layer | None:
    users = []
    for participant in rotation.get("participants") or []:
        if participant.get("type") == "user" and participant.get("id"):
            users.append(str(participant["id"]))
        else:
            plan.unmapped.append(
                f"{where}: a participant of type {participant.get('type')} takes no turn in a Vigil layer "
                "(one person per turn); left out, the next participant takes its turn"
            )
    if not users:
        plan.unmapped.append(f"{where}: no user takes a turn; the rotation is left out")
        return None
    try:
        return Layer.model_validate(_layer_fields(rotation, users, zone_name))
    except (KeyError, ValueError, ValidationError) as error:
        plan.unmapped.append(f"{where}: {error}")
        return None


def _layer_fields(rotation: Json, users: list[str], zone_name: str) -> Json:
    start = as_utc(datetime.fromisoformat(rotation["startDate"]))
    wall = wall_clock(start, time_zone(zone_name))
    kind, length = rotation.get("type"), int(rotation.get("length") or 1)
    fields: Json = {"name": rotation.get("name"), "start": start, "end": rotation.get("endDate")}
    fields |= {"handoff_time": wall.time(), "restrictions": _restrictions(rotation.get("timeRestriction"))}
    if kind == "hourly":
        return fields | {"participants": users, "rotation": "custom", "shift_hours": length}
    if kind not in ("daily", "weekly"):
        raise ValueError(f"a rotation of type {kind} has no Vigil layer")
    if len(users) * length > MAX_PARTICIPANTS:
        raise ValueError(f"{len(users)} people in turns of {length} {kind} turns is too long a layer")
    fields["participants"] = [user for user in users for _ in range(length)]
    if kind == "weekly":
        fields["handoff_day"] = WEEKDAYS[wall.weekday()]
    return fields | {"rotation": kind}


def _restrictions(restriction: Json | None) -> list[Restriction]:
    """Opsgenie's time-of-day window (every day) or weekday-and-time-of-day windows (each from a
    weekday and time to a weekday and time) as Vigil's windows of at most one day each."""
    if not restriction:
        return []
    if restriction.get("type") == "time-of-day":
        window = restriction["restriction"]
        return [Restriction(start=_time(window, "start"), end=_time(window, "end"))]
    windows = []
    for window in restriction.get("restrictions") or []:
        opens, closes = _week_minute(window, "start"), _week_minute(window, "end")
        minutes = (closes - opens) % (7 * 24 * 60) or 7 * 24 * 60
        day = WEEKDAYS.index(window["startDay"])
        windows += weekly_windows(day, _time(window, "start"), minutes * 60)
    return windows


def _time(window: Json, edge: str) -> time:
    return time(int(window.get(f"{edge}Hour") or 0), int(window.get(f"{edge}Min") or 0))


def _week_minute(window: Json, edge: str) -> int:
    clock = _time(window, edge)
    return WEEKDAYS.index(window[f"{edge}Day"]) * 24 * 60 + clock.hour * 60 + clock.minute


def _override(raw: Json, rotations: list[Json], plan: ImportPlan, where: str) -> Override | None:
    alias = str(raw.get("alias"))
    user = raw.get("user") or {}
    if user.get("type") != "user" or not user.get("id"):
        plan.unmapped.append(
            f"{where}: override {alias} is for a {user.get('type')} recipient; "
            "a Vigil override names a person"
        )
        return None
    named = {name for r in raw.get("rotations") or [] for name in (r.get("id"), r.get("name")) if name}
    if named and not all(r.get("id") in named or r.get("name") in named for r in rotations):
        plan.unmapped.append(
            f"{where}: override {alias} is for some rotations only; in Vigil it is over the whole schedule"
        )
    try:
        return Override(id=alias, user_id=str(user["id"]), start=raw["startDate"], end=raw["endDate"])
    except (KeyError, ValidationError) as error:
        plan.unmapped.append(f"{where}: override {alias}: {error}")
        return None


# ----------------------------------------------------------------------------- escalations
def _escalation(escalation: Json, plan: ImportPlan) -> None:
    source_id = str(escalation.get("id"))
    where = f"escalation {source_id}"
    by_delay: dict[int, list[str]] = {}
    for index, rule in enumerate(escalation.get("rules") or []):
        target = _recipient(rule, plan, f"{where} rule {index}")
        try:
            delay = seconds_of(rule.get("delay"))
        except ValueError as error:
            plan.unmapped.append(f"{where} rule {index}: {error}; left out")
            continue
        if target is not None:
            by_delay.setdefault(delay, []).append(target)
    delays = sorted(by_delay)
    if delays and delays[0]:
        plan.unmapped.append(
            f"{where}: it waits {delays[0]} s before its first page; Vigil's first rung pages at once"
        )
    rules = []
    for level, (earlier, delay) in enumerate(pairwise(delays), start=1):
        try:
            rules += [
                EscalationRule(
                    escalation_level=level, escalate_to=target, escalate_after_seconds=delay - earlier
                )
                for target in by_delay[delay]
            ]
        except ValidationError as error:
            plan.unmapped.append(
                f"{where}: the rules {delay} s after the alert: {first_error(error)}; left out"
            )
    repeat = escalation.get("repeat") or {}
    if repeat.get("closeAlertAfterAll") or repeat.get("resetRecipientStates"):
        plan.unmapped.append(f"{where}: closeAlertAfterAll and resetRecipientStates are not kept")
    plan.policies.append(
        ImportedPolicy(
            source_id,
            escalation.get("name") or source_id,
            by_delay[delays[0]] if delays else [],
            rules,
            int(repeat.get("count") or 0),
            min(WEEK_SECONDS, max(1, int(repeat.get("waitInterval") or 0) * 60))
            if repeat.get("count")
            else None,
        )
    )


def _recipient(rule: Json, plan: ImportPlan, where: str) -> str | None:
    recipient = rule.get("recipient") or {}
    kind, notify = recipient.get("type"), rule.get("notifyType") or "default"
    if rule.get("condition") == "if-not-closed":
        plan.unmapped.append(f"{where}: if-not-closed is kept as if-not-acked (Vigil stops at acknowledge)")
    if kind == "user" and recipient.get("id"):
        return f"user:{recipient['id']}"
    if kind == "schedule" and recipient.get("id") and notify == "default":
        return f"source:{recipient['id']}"
    if kind == "schedule":
        plan.unmapped.append(
            f"{where}: pages the {notify} people of schedule {recipient.get('id')}; "
            "Vigil pages whoever is on call; left out"
        )
        return None
    plan.unmapped.append(
        f"{where}: a recipient of type {kind} has no Vigil kind (teams are not imported); left out"
    )
    return None
