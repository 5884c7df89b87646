"""The web console: a static page and its script, served by the API function. Everything it
shows comes from the JSON API (docs/console.md); these routes only hand out the files."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from vigil.domain.errors import NotFound
from vigil.services.console import console_file

router = APIGatewayRouter()

# No inline script or style anywhere, so the policy can forbid both: injected markup cannot run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
FILES = ("index.html", "app.js", "core.js", "setup.js", "oncall.js", "people.js", "policies.js", "app.css")
PUBLIC_PATHS = {"/", *(f"/console/{name}" for name in FILES)}


@router.get("/", include_in_schema=False)
def page() -> Response[str]:
    return _file("index.html")


@router.get("/console/<name>", include_in_schema=False)
def asset(name: str) -> Response[str]:
    return _file(name)


def _file(name: str) -> Response[str]:
    found = console_file(name)
    if found is None:
        raise NotFound(f"no console file {name}")
    body, media_type = found
    return Response(200, content_type=media_type, body=body.decode(), headers=SECURITY_HEADERS)
