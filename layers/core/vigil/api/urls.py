"""Addresses handed out to callers (hook URLs, calendar feeds)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from vigil.config import settings


def public_url(event: APIGatewayProxyEvent, path: str) -> str:
    # The public URL when the stack has one (the local runtime always does), else API Gateway's own.
    host = event.get_header_value("Host", case_sensitive=False) or "localhost"
    base = settings().public_base_url or f"https://{host}/{event.request_context.stage}"
    return f"{base}{path}"
