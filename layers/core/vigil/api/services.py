"""Escalation policies and services: /api/escalation-policies, /api/services."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.auth import actor
from vigil.api.errors import responses_for
from vigil.domain.model import Model
from vigil.domain.oncall import OBJECT_ID, NamedPolicy, NamedPolicyIn, Service, ServiceIn
from vigil.services import policies

router = APIGatewayRouter()
ObjectId = Annotated[str, Path(pattern=OBJECT_ID)]
POLICIES = "/api/escalation-policies"
SERVICES = "/api/services"


class PolicyList(Model):
    items: list[NamedPolicy]


class ServiceList(Model):
    items: list[Service]


@router.post(
    POLICIES, tags=["services"], summary="Create an escalation policy", responses=responses_for(ok=201)
)
def create_policy(body: NamedPolicyIn) -> tuple[NamedPolicy, int]:
    return policies.create_policy(body), 201


@router.get(
    POLICIES,
    tags=["services"],
    summary="List escalation policies (`default` is the global escalation rules)",
    responses=responses_for(),
)
def list_policies() -> PolicyList:
    return PolicyList(items=policies.list_policies())


@router.get(
    f"{POLICIES}/<policy_id>", tags=["services"], summary="An escalation policy", responses=responses_for(404)
)
def get_policy(policy_id: ObjectId) -> NamedPolicy:
    return policies.get_policy(policy_id)


@router.put(
    f"{POLICIES}/<policy_id>",
    tags=["services"],
    summary="Replace an escalation policy",
    responses=responses_for(404, 409),
)
def replace_policy(policy_id: ObjectId, body: NamedPolicyIn) -> NamedPolicy:
    return policies.replace_policy(policy_id, body, actor(router))


@router.delete(
    f"{POLICIES}/<policy_id>",
    tags=["services"],
    summary="Delete an escalation policy no service uses",
    responses=responses_for(404, 409),
)
def delete_policy(policy_id: ObjectId) -> NamedPolicy:
    return policies.delete_policy(policy_id)


@router.post(
    SERVICES,
    tags=["services"],
    summary="Create a service: its escalation policy pages for its integrations' alerts",
    responses=responses_for(409, ok=201),
)
def create_service(body: ServiceIn) -> tuple[Service, int]:
    return policies.create_service(body), 201


@router.get(
    SERVICES,
    tags=["services"],
    summary="List services (`default` has every integration no other service has)",
    responses=responses_for(),
)
def list_services() -> ServiceList:
    return ServiceList(items=policies.list_services())


@router.get(f"{SERVICES}/<service_id>", tags=["services"], summary="A service", responses=responses_for(404))
def get_service(service_id: ObjectId) -> Service:
    return policies.get_service(service_id)


@router.put(
    f"{SERVICES}/<service_id>",
    tags=["services"],
    summary="Replace a service",
    responses=responses_for(404, 409),
)
def replace_service(service_id: ObjectId, body: ServiceIn) -> Service:
    return policies.replace_service(service_id, body)


@router.delete(
    f"{SERVICES}/<service_id>",
    tags=["services"],
    summary="Delete a service",
    responses=responses_for(404, 409),
)
def delete_service(service_id: ObjectId) -> Service:
    return policies.delete_service(service_id)
