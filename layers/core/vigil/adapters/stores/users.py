"""People (users): one item each, with their contact methods and notification rules."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.domain.people import Person

INDEX = "USERS"


def _pk(user_id: str) -> str:
    return f"USER#{user_id}"


def put(person: Person) -> None:
    dynamo.put(
        {
            "pk": _pk(person.user_id),
            "sk": "META",
            "gsi1pk": INDEX,
            "gsi1sk": person.user_id,
            "person": person.model_dump(mode="json"),
        }
    )


def find(user_id: str) -> Person | None:
    item = dynamo.get(_pk(user_id), "META")
    return Person.model_validate(item["person"]) if item else None


def all_stored() -> list[Person]:
    return [Person.model_validate(i["person"]) for i in dynamo.query_all(INDEX, index="gsi1")]


def delete(user_id: str) -> bool:
    """False when there was no such person."""
    return dynamo.delete(_pk(user_id), "META", condition="attribute_exists(pk)")
