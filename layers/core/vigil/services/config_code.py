"""Configuration as code: export the live configuration as one document, plan a proposed one
against it, and apply it all or nothing with the version the plan was made against.

Each section of the document (vigil.domain.config_code.ConfigDocument) has one entry in
SECTIONS: how it is read from the stores, how one of its objects is checked beyond its model
(URLs, templates that must render), and how one is written or deleted. A new section is a new
field of the document and a new entry here.

Apply: the version check, a claim of the next revision (a conditional write, so concurrent
applies cannot both win), every object checked before anything is written, then the writes;
if one fails, those already made are undone and the revision is given back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from vigil.adapters import stores
from vigil.domain.clock import iso, utcnow
from vigil.domain.config_code import (
    Change,
    ConfigDocument,
    EscalationPolicyIn,
    IntegrationConfig,
    ScheduleConfig,
    plan,
    silence_name,
    version_of,
    without_ended_overrides,
)
from vigil.domain.errors import Conflict, InvalidInput
from vigil.domain.escalation import EscalationPolicy
from vigil.domain.incidents import AssignmentRules
from vigil.domain.oncall import DEFAULT_ID, NamedPolicyIn, ScheduleIn, ServiceIn
from vigil.domain.people import PersonIn
from vigil.domain.silences import SilenceIn
from vigil.domain.teams import AlertingRules, TeamIn
from vigil.observability import logger
from vigil.services import (
    escalation,
    integrations,
    people,
    policies,
    schedules,
    silences,
    teams,
)
from vigil.services.paging import rendering, routing

KIND = "code"
Written = dict[str, Any]  # what a write tells the caller (a new integration's token)


@dataclass(frozen=True)
class Section:
    export: Callable[[], Any]
    write: Callable[[str, Any, str], Written | None]  # name, JSON value or None to delete, actor
    check: Callable[[str, Any], None] = lambda name, value: None


# ----------------------------------------------------------------------------- teams
def _teams() -> dict[str, TeamIn]:
    return {t.name: TeamIn.model_validate(t.model_dump(exclude={"name"})) for t in stores.teams.all_stored()}


def _write_team(name: str, value: Any, actor: str) -> None:
    if value is None:
        teams.delete_team(name)
    else:
        teams.put_team(name, TeamIn.model_validate(value))


# ----------------------------------------------------------------------------- people and on call
# Their routes check references (a schedule's people, a policy's targets) when they write, so
# these are checked by their writes: one that fails undoes the apply.
def _users() -> dict[str, PersonIn]:
    return {
        p.user_id: PersonIn.model_validate(p.model_dump(exclude={"user_id"})) for p in people.list_users()
    }


def _write_user(user_id: str, value: Any, actor: str) -> None:
    if value is None:
        people.delete_user(user_id)
    else:
        people.put_user(user_id, PersonIn.model_validate(value))


def _schedules() -> dict[str, ScheduleConfig]:
    fields = set(ScheduleConfig.model_fields)
    now = utcnow()
    return {
        s.schedule_id: ScheduleConfig.model_validate(s.model_dump(include=fields)).current(now)
        for s in schedules.list_schedules()
    }


def _write_schedule(schedule_id: str, value: Any, actor: str) -> None:
    if value is None:
        schedules.delete_schedule(schedule_id)
        return
    config = ScheduleConfig.model_validate(value)
    layers = ScheduleIn.model_validate(config.model_dump(exclude={"overrides"}))
    schedules.put_schedule(schedule_id, layers, list(config.overrides))


def _named_policies() -> dict[str, NamedPolicyIn]:
    fields = set(NamedPolicyIn.model_fields) - {"version"}
    return {
        p.policy_id: NamedPolicyIn.model_validate(p.model_dump(include=fields))
        for p in policies.list_policies()
        if p.policy_id != DEFAULT_ID
    }


def _write_named_policy(policy_id: str, value: Any, actor: str) -> None:
    if value is None:
        policies.delete_policy(policy_id)
    elif stores.policies.find(policy_id):
        policies.replace_policy(policy_id, NamedPolicyIn.model_validate(value), actor)
    else:
        policies.create_policy(NamedPolicyIn.model_validate(value), policy_id)


def _services() -> dict[str, ServiceIn]:
    fields = set(ServiceIn.model_fields)
    return {
        s.service_id: ServiceIn.model_validate(s.model_dump(include=fields))
        for s in policies.list_services()
        if s.service_id != DEFAULT_ID
    }


def _write_service(service_id: str, value: Any, actor: str) -> None:
    if value is None:
        policies.delete_service(service_id)
    elif stores.services.find(service_id):
        policies.replace_service(service_id, ServiceIn.model_validate(value))
    else:
        policies.create_service(ServiceIn.model_validate(value), service_id)


def _check_not_default(section: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if name == DEFAULT_ID:
            raise InvalidInput(
                f"config.{section}.{name}", "the default is not named here (see escalation_policy)"
            )

    return check


# ----------------------------------------------------------------------------- rules and policy
def _write_alerting(name: str, value: Any, actor: str) -> None:
    routing.save_alerting_rules(AlertingRules.model_validate(value), actor)


def _write_assignment(name: str, value: Any, actor: str) -> None:
    routing.save_assignment_rules(AssignmentRules.model_validate(value), actor)


def _policy() -> EscalationPolicyIn:
    return EscalationPolicyIn.model_validate(escalation.load_policy().model_dump())


def _write_policy(name: str, value: Any, actor: str) -> None:
    escalation.save_policy(EscalationPolicy.model_validate(value), actor)


# ----------------------------------------------------------------------------- templates
def _templates() -> dict[str, str]:
    return {t["template_id"]: t["source"] for t in rendering.list_templates() if t["custom"]}


def _write_template(name: str, value: Any, actor: str) -> None:
    if value is None:
        rendering.reset_template(name)
    else:
        rendering.save_template(name, value, actor)


# ----------------------------------------------------------------------------- silences
def _silences() -> list[SilenceIn]:
    return [
        SilenceIn.model_validate(s.model_dump(include=set(SilenceIn.model_fields)))
        for s in silences.list_all()
    ]


def _write_silence(name: str, value: Any, actor: str) -> None:
    if value is not None:
        silences.create(SilenceIn.model_validate(value), actor)
        return
    for silence in silences.list_all():
        if (
            silence_name(SilenceIn.model_validate(silence.model_dump(include=set(SilenceIn.model_fields))))
            == name
        ):
            silences.expire(silence.silence_id)


# ----------------------------------------------------------------------------- integrations
# One listing of the integrations for a whole plan or apply: each change looking its own up
# made a document that deletes many integrations quadratic (and time out).
_listed: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("config_integrations", default=None)


@contextmanager
def _integrations_listed_once() -> Iterator[None]:
    token = _listed.set(_list_integrations_by_name())
    try:
        yield
    finally:
        _listed.reset(token)


def _integrations_by_name() -> dict[str, dict[str, Any]]:
    listed = _listed.get()
    return listed if listed is not None else _list_integrations_by_name()


def _list_integrations_by_name() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for integration in sorted(integrations.list_all(), key=lambda i: i["created_at"]):
        name = integration["name"]
        found[name if name not in found else f"{name} ({integration['integration_id']})"] = integration
    return found


def _integrations() -> dict[str, IntegrationConfig]:
    return {
        name: IntegrationConfig.model_validate({"kind": i["kind"], "settings": i["settings"]})
        for name, i in _integrations_by_name().items()
    }


def _check_integration(name: str, value: Any) -> None:
    live = _integrations_by_name().get(name)
    if live is None:
        return
    if value is None and not live["token_prefix"]:
        raise InvalidInput(f"config.integrations.{name}", "a built-in integration cannot be deleted; keep it")
    if value is not None and value["kind"] != live["kind"]:
        raise InvalidInput(f"config.integrations.{name}.kind", "cannot change; delete it and create another")


def _write_integration(name: str, value: Any, actor: str) -> Written | None:
    live = _integrations_by_name().get(name)
    if value is None:
        integrations.delete(live["integration_id"]) if live else None
        return None
    if live:
        integrations.update(live["integration_id"], None, value["settings"])
        return None
    record, token = integrations.create(name, value["kind"], value["settings"])
    return {"integration": name, "integration_id": record["integration_id"], "token": token}


SECTIONS: dict[str, Section] = {
    "users": Section(_users, _write_user),
    "teams": Section(_teams, _write_team, lambda name, value: _check_team(name, value)),
    "schedules": Section(_schedules, _write_schedule),
    "escalation_policies": Section(
        _named_policies, _write_named_policy, _check_not_default("escalation_policies")
    ),
    "alerting_rules": Section(routing.load_alerting_rules, _write_alerting),
    "assignment_rules": Section(routing.load_assignment_rules, _write_assignment),
    "escalation_policy": Section(_policy, _write_policy),
    "templates": Section(_templates, _write_template, lambda name, value: _check_template(name, value)),
    "silences": Section(_silences, _write_silence),
    "integrations": Section(_integrations, _write_integration, _check_integration),
    "services": Section(_services, _write_service, _check_not_default("services")),
}
RANK = {name: rank for rank, name in enumerate(SECTIONS)}  # what a section refers to comes before it


def _order(change: Change) -> tuple[int, int]:
    """Creates and updates in the sections' order; then deletes in reverse (a service before its
    policy, a schedule before its people), integrations' last: an undo cannot give a token back."""
    if change.action != "delete":
        return (0, RANK[change.section])
    return (1, -RANK[change.section] if change.section != "integrations" else len(RANK))


def _check_team(name: str, value: Any) -> None:
    if value is not None:
        _prefixed(f"config.teams.{name}", lambda: teams.checked_team(name, TeamIn.model_validate(value)))


def _check_template(name: str, value: Any) -> None:
    if value is not None:
        _prefixed(f"config.templates.{name}", lambda: rendering.check_template(name, value))


def _prefixed(prefix: str, check: Callable[[], object]) -> None:
    try:
        check()
    except InvalidInput as error:
        raise InvalidInput(f"{prefix}.{error.field}", error.details[0]["message"]) from None


# ----------------------------------------------------------------------------- the use cases
def export() -> tuple[ConfigDocument, str]:
    """The live configuration and its version."""
    document = ConfigDocument.model_validate({name: s.export() for name, s in SECTIONS.items()})
    return document, version_of(document)


def exported() -> dict[str, Any]:
    document, version = export()
    current = stores.config.current(KIND) or {}
    return {
        "version": version,
        "revision": int(current.get("revision", 0)),
        "config": document.model_dump(mode="json"),
    }


def plan_against_live(proposed: ConfigDocument) -> dict[str, Any]:
    live, version = export()
    changes = plan(live, without_ended_overrides(proposed, utcnow()))
    with _integrations_listed_once():
        _check(changes)
    return {"version": version, "changes": [c.model_dump(mode="json") for c in changes]}


def apply(proposed: ConfigDocument, expected_version: str, actor: str) -> dict[str, Any]:
    live, version = export()
    if version != expected_version:
        raise Conflict(f"the live configuration is at version {version}, not {expected_version}; plan again")
    changes = sorted(plan(live, without_ended_overrides(proposed, utcnow())), key=_order)
    with _integrations_listed_once():
        _check(changes)
    previous = int((stores.config.current(KIND, consistent=True) or {}).get("revision", 0))
    revision, at = previous + 1, iso(utcnow())
    stores.config.claim_revision(KIND, revision, {"saved_by": actor, "saved_at": at, "state": "applying"})
    created = _write_all(changes, actor, revision)
    after, new_version = export()
    summary = [{"section": c.section, "name": c.name, "action": c.action} for c in changes]
    entry = {"version": new_version, "previous_version": version, "changes": summary, "saved_by": actor}
    stores.config.record_revision(
        KIND, revision, {**entry, "saved_at": at, "config": after.model_dump(mode="json")}
    )
    stores.config.mark_revision(KIND, {"state": "applied", "version": new_version})
    return {**entry, "revision": revision, "saved_at": at, "created": created}


def _check(changes: list[Change]) -> None:
    for change in changes:
        SECTIONS[change.section].check(change.name, change.after)


def _write_all(changes: list[Change], actor: str, revision: int) -> list[Written]:
    done: list[Change] = []
    created: list[Written] = []
    try:
        for change in changes:
            written = SECTIONS[change.section].write(change.name, change.after, actor)
            done.append(change)
            if written:
                created.append(written)
    except Exception:
        _undo(done, actor)
        stores.config.mark_revision(KIND, {"state": "failed", "revision": revision - 1})
        raise
    return created


def _undo(done: list[Change], actor: str) -> None:
    for change in reversed(done):
        try:
            SECTIONS[change.section].write(change.name, change.before, f"{actor} (undo)")
        except Exception:
            logger.exception(
                "could not undo a configuration change",
                extra={"section": change.section, "object": change.name},
            )


def history(limit: int) -> list[dict[str, Any]]:
    """The configuration-change timeline, newest first (without the documents)."""
    return [{k: v for k, v in r.items() if k != "config"} for r in stores.config.revisions(KIND, limit)]
