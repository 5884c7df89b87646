"""Named escalation policies and services. The default service (every integration no other
service claims) has the default policy, which is the global escalation policy of
/api/incident_response/escalation-rules: everything set up before services existed keeps working."""

from __future__ import annotations

from vigil.adapters import stores
from vigil.domain.errors import Conflict, InvalidInput
from vigil.domain.escalation import EscalationPolicy
from vigil.domain.oncall import DEFAULT_ID, NamedPolicy, NamedPolicyIn, Service, ServiceIn, target_of
from vigil.domain.people import ImportSource
from vigil.domain.secrets import new_id
from vigil.services import escalation

DEFAULT_SERVICE = Service(service_id=DEFAULT_ID, name="Default", escalation_policy_id=DEFAULT_ID)


# ----------------------------------------------------------------------------- policies
def default_policy_view() -> NamedPolicy:
    policy = escalation.load_policy()
    return NamedPolicy(
        policy_id=DEFAULT_ID, name="Default (the global escalation rules)", **policy.model_dump()
    )


def list_policies() -> list[NamedPolicy]:
    return [default_policy_view(), *sorted(stores.policies.all_stored(), key=lambda p: p.name)]


def get_policy(policy_id: str) -> NamedPolicy:
    if policy_id == DEFAULT_ID:
        return default_policy_view()
    return stores.policies.get(policy_id)


def create_policy(
    data: NamedPolicyIn, policy_id: str | None = None, imported_from: ImportSource | None = None
) -> NamedPolicy:
    """A new policy, with a new id unless one is given (configuration as code names its own)."""
    return _save_policy(policy_id or new_id("pol"), data, imported_from)


def replace_policy(policy_id: str, data: NamedPolicyIn, actor: str) -> NamedPolicy:
    if policy_id == DEFAULT_ID:
        _check_targets(data)
        escalation.save_policy(EscalationPolicy.model_validate(data.model_dump(exclude={"name"})), actor)
        return default_policy_view()
    return _save_policy(policy_id, data, get_policy(policy_id).imported_from)


def delete_policy(policy_id: str) -> NamedPolicy:
    policy = get_policy(policy_id)
    if policy_id == DEFAULT_ID:
        raise Conflict("the default policy cannot be deleted")
    users = [s.service_id for s in stores.services.all_stored() if s.escalation_policy_id == policy_id]
    if users:
        raise Conflict(f"services {', '.join(users)} use this policy: give them another first")
    stores.policies.delete(policy_id)
    return policy


def _save_policy(policy_id: str, data: NamedPolicyIn, imported_from: ImportSource | None) -> NamedPolicy:
    _check_targets(data)
    policy = NamedPolicy(policy_id=policy_id, imported_from=imported_from, **data.model_dump())
    stores.policies.put(policy)
    return policy


def _check_targets(data: NamedPolicyIn) -> None:
    """Every person, schedule and service a policy names exists (400 naming the field)."""
    named = [(f"body.targets[{i}]", t) for i, t in enumerate(data.targets)]
    named += [(f"body.rules[{i}].escalate_to", r.escalate_to) for i, r in enumerate(data.rules)]
    named += [("body.fallback_target", data.fallback_target)] if data.fallback_target else []
    people = [name for kind, name in (target_of(t) for _, t in named) if kind == "user"]
    known = stores.users.find_many(people) if people else {}
    for field, target in named:
        kind, name = target_of(target)
        missing = (
            (kind == "user" and name not in known)
            or (kind == "schedule" and stores.schedules.find(name) is None)
            or kind == "service"
        )
        if missing:
            raise InvalidInput(
                field, f"no {kind} {name}" if kind != "service" else "a rung pages people, not services"
            )


# ----------------------------------------------------------------------------- services
def list_services() -> list[Service]:
    return [DEFAULT_SERVICE, *sorted(stores.services.all_stored(), key=lambda s: s.name)]


def get_service(service_id: str) -> Service:
    if service_id == DEFAULT_ID:
        return DEFAULT_SERVICE
    return stores.services.get(service_id)


def create_service(data: ServiceIn, service_id: str | None = None) -> Service:
    """A new service, with a new id unless one is given (configuration as code names its own)."""
    return _save_service(Service(service_id=service_id or new_id("svc"), **data.model_dump()), previous=None)


def replace_service(service_id: str, data: ServiceIn) -> Service:
    if service_id == DEFAULT_ID:
        raise Conflict(
            "the default service is every integration no other service has; change its policy instead"
        )
    previous = get_service(service_id)
    return _save_service(Service(service_id=service_id, **data.model_dump()), previous=previous)


def delete_service(service_id: str) -> Service:
    if service_id == DEFAULT_ID:
        raise Conflict("the default service cannot be deleted")
    service = get_service(service_id)
    for integration_id in service.integrations:
        stores.integrations.update(integration_id, {"service_id": None})
    stores.services.delete(service_id)
    return service


def _save_service(service: Service, *, previous: Service | None) -> Service:
    """The service, then each integration's link to it (an integration has one service)."""
    if (
        service.escalation_policy_id != DEFAULT_ID
        and stores.policies.find(service.escalation_policy_id) is None
    ):
        raise InvalidInput(
            "body.escalation_policy_id", f"no escalation policy {service.escalation_policy_id}"
        )
    for index, integration_id in enumerate(service.integrations):
        field = f"body.integrations[{index}]"
        integration = stores.integrations.find(integration_id)
        if integration is None:
            raise InvalidInput(field, f"no integration {integration_id}")
        if integration.service_id not in (None, service.service_id):
            raise Conflict(
                f"{field}: integration {integration_id} belongs to service {integration.service_id}"
            )
    stores.services.put(service)
    for integration_id in service.integrations:
        stores.integrations.update(integration_id, {"service_id": service.service_id})
    for integration_id in set(previous.integrations if previous else []) - set(service.integrations):
        stores.integrations.update(integration_id, {"service_id": None})
    return service
