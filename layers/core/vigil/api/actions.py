"""Public routes that act on an incident without an API key: signed links and Slack buttons.

A link's GET only shows a confirmation page (mail scanners open links); the POST acts.
"""

from __future__ import annotations

import html
from typing import Annotated, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.api.errors import responses_for
from vigil.domain.errors import VigilError
from vigil.services import actions

router = APIGatewayRouter()
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Vigil</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>{title}</h1><p>{text}</p>{form}</body></html>"""


def _page(status: int, title: str, text: str, form: str = "") -> Response[str]:
    body = PAGE.format(title=html.escape(title), text=html.escape(text), form=form)
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body)


@router.get(
    "/api/actions",
    tags=["actions"],
    summary="Confirmation page of a signed acknowledge/resolve link",
    include_in_schema=True,
    responses=responses_for(401, public=True, html=True),
)
def show_link(token: Annotated[str, Query(min_length=10, max_length=1000)]) -> Response[str]:
    try:
        incident_id, action = actions.peek_link(token)
    except VigilError as error:
        return _page(401, "This link cannot be used", error.message)
    form = (
        f'<form method="post" action=""><input type="hidden" name="token" value="{html.escape(token)}">'
        f'<button type="submit">{html.escape(action.capitalize())} {html.escape(incident_id)}</button></form>'
    )
    return _page(200, f"{action.capitalize()} incident {incident_id}?", "Confirm below.", form)


@router.post(
    "/api/actions",
    tags=["actions"],
    summary="Perform a signed link's action (once)",
    responses=responses_for(401, 422, public=True, html=True),
)
def follow_link() -> Response[str]:
    token = _form(router.current_event.decoded_body or "").get(
        "token"
    ) or router.current_event.get_query_string_value("token", "")
    try:
        record = actions.follow_link(token or "")
    except VigilError as error:
        status = 401 if error.code == "unauthorized" else 422 if error.code == "invalid_transition" else 400
        return _page(status, "This link cannot be used", error.message)
    return _page(200, f"Incident {record.incident_id} is {record.status}", record.title)


@router.post(
    "/api/slack/actions",
    tags=["actions"],
    summary="Slack interactivity: Acknowledge / Resolve buttons",
    responses=responses_for(401, 404, 422, public=True),
)
def slack_actions() -> dict[str, Any]:
    event = router.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    return actions.slack_action(headers, (event.decoded_body or "").encode())


def _form(body: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(body).items()}
