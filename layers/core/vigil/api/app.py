"""Builds the API resolvers; the OpenAPI document is generated from all of their routes."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from vigil import __version__
from vigil.api import (
    actions,
    alerting,
    analytics,
    calendars,
    config_code,
    console,
    errors,
    heartbeats,
    imports,
    incidents,
    ingest_docs,
    integrations,
    notifications,
    people,
    playbooks,
    schedules,
    services,
    session,
    system,
    teams,
)
from vigil.api.ingest import LONE_SURROGATE
from vigil.domain.errors import InvalidInput

MAX_DEPTH = 32  # DynamoDB keeps maps and lists nested up to 32 levels


def build_app() -> APIGatewayRestResolver:
    """The management API. Its Lambda handler checks the API key first (vigil.api.auth)."""
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
        config_code,
        session,
        console,
        people,
        schedules,
        services,
        calendars,
        imports,
        heartbeats,
    ):
        app.include_router(module.router)
    return app


def openapi_json() -> str:
    app = build_app()
    app.include_router(ingest_docs.router)
    document = app.get_openapi_json_schema(
        title="Vigil API",
        version=__version__,
        description="Automated incident response on AWS serverless parts. "
        "Management routes need `Authorization: Bearer <api key>`; ingestion routes use the "
        "integration token.",
    )
    return json.dumps(_without_powertools_errors(json.loads(document)))


def _without_powertools_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools documents a 422 HTTPValidationError on every route; Vigil answers invalid
    input with a 400 ErrorResponse (vigil.api.errors.responses_for documents each route's)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            refused = operation.get("responses", {}).get("422", {})
            if "HTTPValidationError" in json.dumps(refused):
                del operation["responses"]["422"]
    used = json.dumps(document.get("paths", {}))
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{name}" not in used:
            schemas.pop(name, None)
    return document


def treat_body_as_json(event: dict[str, Any]) -> dict[str, Any]:
    """Every Vigil body is JSON. `curl -d` and SNS label theirs as form data or text: say JSON,
    so that a body is judged by what it is, not by its label."""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    headers["Content-Type"] = "application/json"
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    multi["Content-Type"] = ["application/json"]
    return {**event, "headers": headers, "multiValueHeaders": multi}


def parse_json_body(text: str) -> Any:
    """json.loads, then refuse with a 400 that names the place what is JSON but cannot be stored:
    a lone surrogate (`"\\ud800"`, not Unicode text), an empty key (DynamoDB refuses an empty map
    key, and no Vigil name is empty), a number of more than 38 digits, and nesting deeper than
    DynamoDB's 32 levels."""
    try:
        body = json.loads(text)
    except RecursionError:
        raise InvalidInput("body", f"nested more than {MAX_DEPTH} levels") from None
    pending: list[tuple[Any, str, int]] = [(body, "body", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(path, f"nested more than {MAX_DEPTH} levels")
        if isinstance(value, str) and LONE_SURROGATE.search(value):
            raise InvalidInput(path, "not Unicode text (a lone surrogate)")
        if isinstance(value, int) and abs(value) >= 10**38:
            raise InvalidInput(path, "a number has at most 38 digits")
        if isinstance(value, dict):
            for key, item in value.items():
                if not key or LONE_SURROGATE.search(key):
                    raise InvalidInput(path, "a key is empty or not Unicode text")
                pending.append((item, f"{path}.{key}", depth + 1))
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))
    return body
