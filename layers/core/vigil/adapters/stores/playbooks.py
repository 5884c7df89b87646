"""Stored playbooks (the built-ins live in code), versioned for replacing."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.domain.errors import Conflict
from vigil.domain.playbooks import Playbook

INDEX = "PLAYBOOKS"


def _pk(playbook_id: str) -> str:
    return f"PLAYBOOK#{playbook_id}"


def all_stored() -> list[Playbook]:
    return [Playbook.model_validate(i["playbook"]) for i in dynamo.query_all(INDEX, index="gsi1")]


def find(playbook_id: str) -> Playbook | None:
    item = dynamo.get(_pk(playbook_id), "META")
    return Playbook.model_validate(item["playbook"]) if item else None


def create(playbook: Playbook) -> bool:
    """False when a playbook with its id exists."""
    item = {
        "pk": _pk(playbook.playbook_id),
        "sk": "META",
        "gsi1pk": INDEX,
        "gsi1sk": playbook.playbook_id,
        "version": playbook.version,
        "playbook": playbook.model_dump(mode="json"),
    }
    try:
        dynamo.put(item, condition="attribute_not_exists(pk)")
    except dynamo.ConditionFailed:
        return False
    return True


def replace(playbook: Playbook, *, seen_version: int) -> None:
    try:
        dynamo.update(
            _pk(playbook.playbook_id),
            "META",
            "SET playbook = :playbook, version = :next",
            {":playbook": playbook.model_dump(mode="json"), ":next": playbook.version, ":seen": seen_version},
            condition="version = :seen",
        )
    except dynamo.ConditionFailed:
        raise Conflict(
            f"playbook {playbook.playbook_id} was changed or deleted meanwhile; reload it"
        ) from None


def delete(playbook_id: str) -> bool:
    """False when there was no such playbook."""
    return dynamo.delete(_pk(playbook_id), "META", condition="attribute_exists(pk)")
