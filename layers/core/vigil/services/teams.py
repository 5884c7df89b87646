"""Teams: members with contact methods and team-level channels. The original spec's teams always exist."""

from __future__ import annotations

from vigil.adapters import stores
from vigil.adapters.outbound_http import check_url
from vigil.domain.errors import NotFound
from vigil.domain.incidents import DEFAULT_TEAMS
from vigil.domain.teams import Team, TeamIn


def put_team(name: str, data: TeamIn) -> Team:
    team = checked_team(name, data)
    stores.teams.put(team)
    return team


def checked_team(name: str, data: TeamIn) -> Team:
    """The team, once its URLs are ones Vigil may send to (InvalidInput names the field)."""
    team = Team(name=name, **data.model_dump())
    for field, url in (("slack_webhook_url", team.slack_webhook_url), ("webhook_url", team.webhook_url)):
        if url:
            check_url(url, field=field)
    for i, member in enumerate(team.members):
        for j, method in enumerate(member.contact_methods):
            if method.type in ("slack", "webhook"):
                check_url(method.address, field=f"members[{i}].contact_methods[{j}].address")
    return team


def get_team(name: str) -> Team:
    stored = stores.teams.find(name)
    if stored:
        return stored
    if name in DEFAULT_TEAMS:
        return Team(name=name)
    raise NotFound(f"no team {name}")


def exists(name: str) -> bool:
    return name in DEFAULT_TEAMS or stores.teams.find(name) is not None


def list_teams() -> list[Team]:
    stored = {team.name: team for team in stores.teams.all_stored()}
    defaults = {name: Team(name=name) for name in DEFAULT_TEAMS if name not in stored}
    return sorted([*stored.values(), *defaults.values()], key=lambda t: t.name)


def delete_team(name: str) -> None:
    if not stores.teams.delete(name):
        raise NotFound(f"no team {name}")
