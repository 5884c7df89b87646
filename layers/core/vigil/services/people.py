"""People: who they are, how to reach them, their notification rules, and their own API keys."""

from __future__ import annotations

from vigil.adapters import stores
from vigil.adapters.outbound_http import check_url
from vigil.domain.access import Scope
from vigil.domain.api_keys import ApiKey
from vigil.domain.errors import InvalidInput
from vigil.domain.people import Person, PersonIn
from vigil.services import keys


def put_user(user_id: str, data: PersonIn) -> Person:
    person = Person(user_id=user_id, **data.model_dump(exclude={"user_id"}))
    for index, method in enumerate(person.contact_methods):
        if method.type == "webhook":
            check_url(method.address, field=f"body.contact_methods[{index}].address")
    stores.users.put(person)
    return person


def get_user(user_id: str) -> Person:
    return stores.users.get(user_id)


def list_users() -> list[Person]:
    return sorted(stores.users.all_stored(), key=lambda p: p.user_id)


def delete_user(user_id: str) -> Person:
    person = get_user(user_id)
    stores.users.delete(user_id)
    return person


def require_users(user_ids: list[tuple[str, str]]) -> None:
    """Refuse (400 naming the field) the first (field, user id) pair naming nobody: one
    BatchGetItem per 100 distinct people."""
    known = stores.users.find_many([user_id for _, user_id in user_ids]) if user_ids else {}
    for field, user_id in user_ids:
        if user_id not in known:
            raise InvalidInput(field, f"no user {user_id}: create it with PUT /api/users/{user_id}")


def create_user_key(user_id: str, name: str, scope: Scope) -> tuple[ApiKey, str]:
    """An API key that acts as this person: the timeline names them for what it does."""
    user = get_user(user_id)
    return keys.create_key(name, scope=scope, user_id=user_id, email=user.email)
