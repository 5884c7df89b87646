"""Teams, stored whole (members, contact methods, team channels)."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.domain.teams import Team

INDEX = "TEAMS"


def _pk(name: str) -> str:
    return f"TEAM#{name}"


def put(team: Team) -> None:
    dynamo.put(
        {
            "pk": _pk(team.name),
            "sk": "META",
            "gsi1pk": INDEX,
            "gsi1sk": team.name,
            "team": team.model_dump(mode="json"),
        }
    )


def find(name: str) -> Team | None:
    item = dynamo.get(_pk(name), "META")
    return Team.model_validate(item["team"]) if item else None


def all_stored() -> list[Team]:
    return [Team.model_validate(i["team"]) for i in dynamo.query_all(INDEX, index="gsi1")]


def delete(name: str) -> bool:
    """False when there was no such team."""
    return dynamo.delete(_pk(name), "META", condition="attribute_exists(pk)")
