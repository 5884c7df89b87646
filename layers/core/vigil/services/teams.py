"""Teams: members with contact methods and team-level channels. The original spec's teams always exist."""

from __future__ import annotations

from vigil.adapters import dynamo
from vigil.adapters.http import check_url
from vigil.domain.errors import NotFound
from vigil.domain.incidents import DEFAULT_TEAMS
from vigil.domain.teams import Team, TeamIn


def _pk(name: str) -> str:
    return f"TEAM#{name}"


def put_team(name: str, data: TeamIn) -> Team:
    team = Team(name=name, **data.model_dump())
    for field, url in (("slack_webhook_url", team.slack_webhook_url), ("webhook_url", team.webhook_url)):
        if url:
            check_url(url, field=field)
    for i, member in enumerate(team.members):
        for j, method in enumerate(member.contact_methods):
            if method.type in ("slack", "webhook"):
                check_url(method.address, field=f"members[{i}].contact_methods[{j}].address")
    dynamo.put(
        {
            "pk": _pk(name),
            "sk": "META",
            "gsi1pk": "TEAMS",
            "gsi1sk": name,
            "team": team.model_dump(mode="json"),
        }
    )
    return team


def get_team(name: str) -> Team:
    item = dynamo.get(_pk(name), "META")
    if item:
        return Team.model_validate(item["team"])
    if name in DEFAULT_TEAMS:
        return Team(name=name)
    raise NotFound(f"no team {name}")


def list_teams() -> list[Team]:
    stored = {
        i["team"]["name"]: Team.model_validate(i["team"]) for i in dynamo.query_all("TEAMS", index="gsi1")
    }
    defaults = {name: Team(name=name) for name in DEFAULT_TEAMS if name not in stored}
    return sorted([*stored.values(), *defaults.values()], key=lambda t: t.name)


def delete_team(name: str) -> None:
    if not dynamo.delete(_pk(name), "META", condition="attribute_exists(pk)"):
        raise NotFound(f"no team {name}")
