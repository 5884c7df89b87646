"""Imports of other tools' on-call setups (vigil.domain.imports): people first, then schedules
(people who are neither imported nor in Vigil are left out), then escalation policies."""

from __future__ import annotations

from typing import Any

from vigil.adapters import stores
from vigil.domain.errors import InvalidInput
from vigil.domain.imports import ImportedPolicy, ImportedSchedule, ImportPlan, from_pagerduty
from vigil.domain.imports_grafana import from_grafana_oncall
from vigil.domain.oncall import NamedPolicyIn, ScheduleIn
from vigil.services import people, policies, schedules

IMPORTERS = {"pagerduty": from_pagerduty, "grafana-oncall": from_grafana_oncall}


def import_setup(vendor: str, body: dict[str, Any]) -> dict[str, Any]:
    importer = IMPORTERS.get(vendor)
    if importer is None:
        raise InvalidInput("vendor", f"only {', '.join(IMPORTERS)} can be imported so far")
    plan = importer(body)
    for person in plan.people:
        people.put_user(person.user_id, person)
    known = {p.user_id for p in stores.users.all_stored()}
    created = {s.source_id: _schedule(s, known, plan) for s in plan.schedules}
    made = {
        p.source_id: _policy(p, known, {k: v for k, v in created.items() if v}, plan) for p in plan.policies
    }
    return {
        "users": [p.user_id for p in plan.people],
        "schedules": [{"source_id": k, "schedule_id": v} for k, v in created.items() if v],
        "escalation_policies": [{"source_id": k, "policy_id": v} for k, v in made.items()],
        "unmapped": plan.unmapped,
    }


def _schedule(imported: ImportedSchedule, known: set[str], plan: ImportPlan) -> str | None:
    where = f"schedule {imported.source_id}"
    layers = []
    for index, layer in enumerate(imported.layers):
        kept = [u for u in layer.participants if u in known]
        plan.unmapped += [
            f"{where} layer {index}: user {u} is not imported; left out"
            for u in layer.participants
            if u not in known
        ]
        if kept:
            layers.append(layer.model_copy(update={"participants": kept}))
    if not layers:
        plan.unmapped.append(f"{where}: nobody in it is imported; the schedule is left out")
        return None
    stored = schedules.create_schedule(
        ScheduleIn(name=imported.name, time_zone=imported.time_zone, layers=layers)
    )
    overrides = [o for o in imported.overrides if o.user_id in known]
    plan.unmapped += [
        f"{where}: override {o.id} is for {o.user_id}, who is not imported; left out"
        for o in imported.overrides
        if o.user_id not in known
    ]
    if overrides:
        schedules.put_overrides(stored.schedule_id, overrides)
    return stored.schedule_id


def _policy(imported: ImportedPolicy, known: set[str], created: dict[str, str], plan: ImportPlan) -> str:
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
    policy = NamedPolicyIn(
        name=imported.name,
        targets=[t for t in map(mapped, imported.targets) if t],
        rules=rules,
        repeat=min(imported.repeat, 10),
        fallback_target=None,
    )
    return policies.create_policy(policy).policy_id
