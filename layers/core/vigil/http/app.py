"""Builds the API resolvers; the OpenAPI document is generated from all of their routes."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from vigil import __version__
from vigil.http import (
    actions,
    alerting,
    analytics,
    errors,
    incidents,
    ingest_docs,
    integrations,
    notifications,
    playbooks,
    system,
    teams,
)


def build_app() -> APIGatewayRestResolver:
    """The management API. Its Lambda handler checks the API key first (vigil.http.auth)."""
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=parse_json_body)
    errors.register(app)
    # playbooks before incidents: `/playbooks/<id>` must not be taken for `/<incident_id>/...`.
    for module in (
        system,
        playbooks,
        incidents,
        integrations,
        teams,
        analytics,
        notifications,
        alerting,
        actions,
    ):
        app.include_router(module.router)
    return app


def openapi_json() -> str:
    app = build_app()
    app.include_router(ingest_docs.router)
    return app.get_openapi_json_schema(
        title="Vigil API",
        version=__version__,
        description="Automated incident response on AWS serverless parts. "
        "Management routes need `Authorization: Bearer <api key>`; ingestion routes use the "
        "integration token.",
    )


def treat_body_as_json(event: dict[str, Any]) -> dict[str, Any]:
    """Every Vigil body is JSON. `curl -d` and SNS label theirs as form data or text: say JSON,
    so that a body is judged by what it is, not by its label."""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    headers["Content-Type"] = "application/json"
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    multi["Content-Type"] = ["application/json"]
    return {**event, "headers": headers, "multiValueHeaders": multi}


def parse_json_body(text: str) -> Any:
    """json.loads, refusing what is JSON but not Unicode: a lone surrogate such as `"\\ud800"`
    cannot be stored or sent on. The JSONDecodeError becomes a 400 like any malformed body."""
    value = json.loads(text)
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise json.JSONDecodeError("a string is not Unicode text (lone surrogate)", text, 0) from error
    return value
