"""People and their own API keys: /api/users."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.errors import responses_for
from vigil.api.models import ApiKeyCreated, ApiKeyIn
from vigil.domain.access import Scope
from vigil.domain.model import Model
from vigil.domain.people import Person, PersonIn
from vigil.domain.schedules import USER_ID
from vigil.services import people

router = APIGatewayRouter()
UserId = Annotated[str, Path(pattern=USER_ID)]


class PersonList(Model):
    items: list[Person]


class UserKeyIn(ApiKeyIn):
    scope: Scope = Scope.RESPONDER


@router.get("/api/users", tags=["people"], summary="List people", responses=responses_for())
def list_users() -> PersonList:
    return PersonList(items=people.list_users())


@router.get("/api/users/<user_id>", tags=["people"], summary="A person", responses=responses_for(404))
def get_user(user_id: UserId) -> Person:
    return people.get_user(user_id)


@router.put(
    "/api/users/<user_id>",
    tags=["people"],
    summary="Create or replace a person: contact methods and notification rules",
    responses=responses_for(),
)
def put_user(user_id: UserId, body: PersonIn) -> Person:
    return people.put_user(user_id, body)


@router.delete(
    "/api/users/<user_id>", tags=["people"], summary="Delete a person", responses=responses_for(404)
)
def delete_user(user_id: UserId) -> Person:
    return people.delete_user(user_id)


@router.post(
    "/api/users/<user_id>/keys",
    tags=["people"],
    summary="Create an API key that acts as this person (the timeline names them)",
    responses=responses_for(404, ok=201),
)
def create_user_key(user_id: UserId, body: UserKeyIn) -> tuple[ApiKeyCreated, int]:
    key, secret = people.create_user_key(user_id, body.name, body.scope)
    return ApiKeyCreated.of(key, secret), 201
