"""Ingestion: integration webhooks (token in the path or as a Bearer header) and the PagerDuty
Events API v2 endpoints (alert events and change events).

The ingest function is the hot path, so it does not load the Powertools resolver (a third of
its cold start): `handle` routes the two API Gateway events itself. The same functions serve
the documented routes in vigil.api.ingest_docs, from which the OpenAPI document is made.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from vigil.api import problem
from vigil.api.headers import header
from vigil.config import settings
from vigil.domain.alerts import AlertOutcome
from vigil.domain.clock import utcnow
from vigil.domain.errors import InvalidInput, NotFound, PayloadTooLarge, Unauthorized, VigilError
from vigil.domain.integrations import Integration
from vigil.domain.model import Model
from vigil.domain.parsers.pagerduty import parse_change_event
from vigil.observability import logger
from vigil.services import integrations
from vigil.services.ingest import changes, intake

MAX_BODY_BYTES = 512 * 1024
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
HOOK_ROUTE = "/api/hooks/{token}"
BEARER_HOOK_ROUTE = "/api/hooks"  # the token in `Authorization: Bearer`, out of URLs and logs
ENQUEUE_ROUTE = "/v2/enqueue"
CHANGE_ROUTE = "/v2/change/enqueue"
ROUTES = (HOOK_ROUTE, BEARER_HOOK_ROUTE, ENQUEUE_ROUTE, CHANGE_ROUTE)  # each authenticated by a token


class IngestResult(Model):
    integration_id: str
    received: int
    alerts: list[AlertOutcome]
    queued: int = 0
    sns_message_type: str | None = None
    note: str = ""


class EnqueueResult(Model):
    status: str = "success"
    message: str = "Event processed"
    dedup_key: str


class ChangeResult(Model):
    """PagerDuty's answer to a change event, and the incidents whose timelines got it."""

    status: str = "success"
    message: str = "Change event processed"
    incident_ids: list[str] = []


def _parse(raw: str) -> Any:
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput("body", f"not valid JSON ({error.msg} at position {error.pos})") from None
    except RecursionError:
        raise InvalidInput("body", "nested too deeply") from None
    return _without_lone_surrogates(body) if "\\ud" in raw.lower() else body


def _without_lone_surrogates(body: Any) -> Any:
    """A lone UTF-16 surrogate (`"\\ud83d"`: an emoji a sender cut in half) is valid JSON but
    cannot be stored or sent on: it becomes U+FFFD and the alert is kept."""
    text = json.dumps(body, ensure_ascii=False)
    return json.loads(LONE_SURROGATE.sub("\N{REPLACEMENT CHARACTER}", text))


def receive(token: str, raw: str) -> IngestResult:
    integration = integrations.authenticate(token)
    result = intake.receive(integration, _parse(raw), raw, settings().storm_queue_url)
    return IngestResult(
        integration_id=integration.integration_id,
        received=len(result.outcomes) + result.queued,
        alerts=result.outcomes,
        queued=result.queued,
        sns_message_type=result.sns_message_type,
        note=result.note,
    )


def bearer_token(authorization: str | None) -> str:
    """The integration token of `Authorization: Bearer <token>`, for POST /api/hooks."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "send the integration token as `Authorization: Bearer <token>`, or POST to /api/hooks/<token>"
        )
    return token.strip()


def enqueue(raw: str) -> EnqueueResult:
    integration, body = _pagerduty_event(raw)
    # The routing key is the integration's secret token: it is not kept with the alert.
    kept = json.dumps({k: v for k, v in body.items() if k != "routing_key"})
    result = intake.receive(integration, body, kept)
    return EnqueueResult(dedup_key=result.outcomes[0].dedup_key)


def enqueue_change(raw: str) -> ChangeResult:
    integration, body = _pagerduty_event(raw)
    change = parse_change_event(body)
    return ChangeResult(incident_ids=changes.record_change(integration, change, utcnow()))


def _pagerduty_event(raw: str) -> tuple[Integration, dict[str, Any]]:
    """The body of a PagerDuty Events API call, and the integration its routing_key names."""
    body = _parse(raw)
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    routing_key = body.get("routing_key")
    if not isinstance(routing_key, str) or not routing_key:
        raise InvalidInput("routing_key", "is required")
    integration = integrations.authenticate(routing_key)
    if integration.kind != "pagerduty":
        raise InvalidInput("routing_key", "not the token of a pagerduty integration")
    return integration, body


def handle(event: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway REST proxy event in, a proxy response out; errors as Vigil's JSON errors."""
    try:
        if event.get("httpMethod") != "POST":
            raise NotFound(f"{event.get('httpMethod')} {event.get('path')}: these routes take POST")
        raw = _body(event)
        resource = event.get("resource")
        if resource in (HOOK_ROUTE, BEARER_HOOK_ROUTE):
            received = receive(_hook_token(event), raw)
            return _response(202 if received.queued else 200, received)
        if resource == ENQUEUE_ROUTE:
            return _response(202, enqueue(raw))
        if resource == CHANGE_ROUTE:
            return _response(202, enqueue_change(raw))
        raise NotFound(f"no route {event.get('path')}")
    except VigilError as error:  # Throttled among them: 503, and a retry finishes the job
        status, body, headers = problem.of(error)
        return _json(status, body, headers)
    except Exception:
        logger.exception("unhandled error")
        return _json(500, problem.body("internal", "internal error; it has been logged"), {})


def _hook_token(event: dict[str, Any]) -> str:
    if event.get("resource") == HOOK_ROUTE:
        return str((event.get("pathParameters") or {}).get("token", ""))
    return bearer_token(header(event, "Authorization"))


def _body(event: dict[str, Any]) -> str:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(raw).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("body", "not UTF-8 text") from None
    return str(raw)


def _response(status: int, model: Model) -> dict[str, Any]:
    return _json(status, model.model_dump(mode="json"), {})


def _json(status: int, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
