"""Teams and people: /api/teams."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.errors import responses_for
from vigil.api.models import TeamList
from vigil.domain.teams import TEAM_NAME, Team, TeamIn
from vigil.services import teams

router = APIGatewayRouter()
TeamName = Annotated[str, Path(pattern=TEAM_NAME)]


@router.get(
    "/api/teams",
    tags=["teams"],
    summary="List teams (the original spec's teams always exist)",
    responses=responses_for(),
)
def list_teams() -> TeamList:
    return TeamList(items=teams.list_teams())


@router.get(
    "/api/teams/<name>", tags=["teams"], summary="A team with its members", responses=responses_for(404)
)
def get_team(name: TeamName) -> Team:
    return teams.get_team(name)


@router.put(
    "/api/teams/<name>", tags=["teams"], summary="Create or replace a team", responses=responses_for()
)
def put_team(name: TeamName, body: TeamIn) -> Team:
    return teams.put_team(name, body)


@router.delete(
    "/api/teams/<name>", tags=["teams"], summary="Delete a team's configuration", responses=responses_for(404)
)
def delete_team(name: TeamName) -> Team:
    team = teams.get_team(name)
    teams.delete_team(name)
    return team
