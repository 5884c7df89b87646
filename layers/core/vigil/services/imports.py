"""Imports of other tools' on-call setups (vigil.domain.imports): people first, then schedules
(people who are neither imported nor in Vigil are left out), then escalation policies.

Every imported object keeps its vendor and vendor id (`imported_from`): importing the same
vendor's object again updates it in place, so a second import of one document changes nothing
and creates nothing."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from vigil.adapters import stores
from vigil.domain.errors import InvalidInput
from vigil.domain.imports import ImportedPolicy, ImportedSchedule, ImportPlan, from_pagerduty
from vigil.domain.imports_grafana import from_grafana_oncall
from vigil.domain.imports_opsgenie import from_opsgenie
from vigil.domain.oncall import NamedPolicy, NamedPolicyIn, ScheduleIn, StoredSchedule
from vigil.domain.people import ImportSource
from vigil.services import people, policies, schedules

IMPORTERS = {"pagerduty": from_pagerduty, "opsgenie": from_opsgenie, "grafana-oncall": from_grafana_oncall}
Outcome = Literal["created", "updated"]


def import_setup(vendor: str, body: dict[str, Any]) -> dict[str, Any]:
    importer = IMPORTERS.get(vendor)
    if importer is None:
        raise InvalidInput("vendor", f"only {', '.join(IMPORTERS)} can be imported")
    try:
        plan = importer(body)
    except (AttributeError, TypeError, KeyError, ValueError) as error:  # JSON of another shape
        raise InvalidInput("body", f"not what {vendor}'s API answers ({error})") from None
    stored = {p.user_id for p in stores.users.all_stored()}
    for person in plan.people:
        source = ImportSource(vendor=vendor, id=person.user_id)  # type: ignore[arg-type]
        people.put_user(person.user_id, person.model_copy(update={"imported_from": source}))
    known = stored | {p.user_id for p in plan.people}
    earlier_schedules = _imported(vendor, stores.schedules.all_stored())
    made = [_schedule(vendor, s, known, plan, earlier_schedules.get(s.source_id)) for s in plan.schedules]
    created = {source_id: schedule_id for source_id, schedule_id, _ in made if schedule_id}
    earlier_policies = _imported(vendor, stores.policies.all_stored())
    return {
        "users": [{"user_id": p.user_id, "outcome": _outcome(p.user_id in stored)} for p in plan.people],
        "schedules": [
            {"source_id": source_id, "schedule_id": schedule_id, "outcome": outcome}
            for source_id, schedule_id, outcome in made
            if schedule_id
        ],
        "escalation_policies": [
            _policy(vendor, p, known, created, plan, earlier_policies.get(p.source_id)) for p in plan.policies
        ],
        "unmapped": plan.unmapped,
    }


Imported = TypeVar("Imported", StoredSchedule, NamedPolicy)


def _imported(vendor: str, objects: list[Imported]) -> dict[str, Imported]:
    """The objects imported from `vendor` before, by their vendor id."""
    return {o.imported_from.id: o for o in objects if o.imported_from and o.imported_from.vendor == vendor}


def _outcome(existed: bool) -> Outcome:
    return "updated" if existed else "created"


def _schedule(
    vendor: str, imported: ImportedSchedule, known: set[str], plan: ImportPlan, earlier: StoredSchedule | None
) -> tuple[str, str | None, Outcome]:
    where = f"schedule {imported.source_id}"
    layers = []
    for index, layer in enumerate(imported.layers):
        kept = [u for u in layer.participants if u in known]
        plan.unmapped += [
            f"{where} layer {index}: user {u} is not imported; left out"
            for u in dict.fromkeys(layer.participants)
            if u not in known
        ]
        if kept:
            layers.append(layer.model_copy(update={"participants": kept}))
    if not layers:
        plan.unmapped.append(f"{where}: nobody in it is imported; the schedule is left out")
        return imported.source_id, None, "created"
    overrides = [o for o in imported.overrides if o.user_id in known]
    plan.unmapped += [
        f"{where}: override {o.id} is for {o.user_id}, who is not imported; left out"
        for o in imported.overrides
        if o.user_id not in known
    ]
    data = ScheduleIn(name=imported.name, time_zone=imported.time_zone, layers=layers)
    source = ImportSource(vendor=vendor, id=imported.source_id)  # type: ignore[arg-type]
    stored = schedules.put_imported(data, overrides, source, earlier)
    return imported.source_id, stored.schedule_id, _outcome(earlier is not None)


def _policy(
    vendor: str,
    imported: ImportedPolicy,
    known: set[str],
    created: dict[str, str],
    plan: ImportPlan,
    earlier: NamedPolicy | None,
) -> dict[str, str]:
    where = f"escalation policy {imported.source_id}"

    def mapped(target: str) -> str | None:
        kind, _, name = target.partition(":")
        if kind == "source":
            return f"schedule:{created[name]}" if name in created else None
        return target if name in known else None

    for target in [*imported.targets, *(r.escalate_to for r in imported.rules)]:
        if mapped(target) is None:
            plan.unmapped.append(
                f"{where}: target {target.removeprefix('source:')} is not imported; left out"
            )
    rules = [
        r.model_copy(update={"escalate_to": mapped(r.escalate_to)})
        for r in imported.rules
        if mapped(r.escalate_to)
    ]
    wait = imported.repeat_after_seconds
    repeat_after = {"repeat_after_seconds": wait} if wait else {}
    policy = NamedPolicyIn(
        name=imported.name,
        targets=[t for t in map(mapped, imported.targets) if t],
        rules=rules,
        repeat=min(imported.repeat, 10),
        fallback_target=None,
        **repeat_after,
    )
    source = ImportSource(vendor=vendor, id=imported.source_id)  # type: ignore[arg-type]
    policy_id = earlier.policy_id if earlier else None
    saved = policies.create_policy(policy, policy_id, imported_from=source)
    outcome = _outcome(earlier is not None)
    return {"source_id": imported.source_id, "policy_id": saved.policy_id, "outcome": outcome}
