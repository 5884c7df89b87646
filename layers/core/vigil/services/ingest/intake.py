"""From an integration's request body to alerts: SNS envelopes (signature, confirmation),
the integration's own mapping, or the parser of its kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vigil.domain.alerts import AlertOutcome, NormalizedAlert
from vigil.domain.errors import InvalidInput, Unauthorized, UpstreamUnavailable
from vigil.domain.integrations import Integration, IntegrationSettings
from vigil.domain.mapping import grouped, map_payload
from vigil.domain.parsers import parse
from vigil.domain.parsers.cloudwatch import sns_envelope_type
from vigil.lazy import lazy_module
from vigil.observability import count, logger
from vigil.services import rate_limit
from vigil.services.ingest import dedup, storm

if TYPE_CHECKING:
    from vigil.adapters import sns_signature
else:  # SNS envelopes only (its HTTP client and certificate checks)
    sns_signature = lazy_module("vigil.adapters.sns_signature")


@dataclass
class Intake:
    outcomes: list[AlertOutcome] = field(default_factory=list)
    sns_message_type: str | None = None
    note: str = ""
    queued: int = 0  # a storm's alerts, taken in from StormQueue after the answer


def receive(integration: Integration, body: Any, raw: str, storm_queue_url: str = "") -> Intake:
    """The alerts of one request, taken in now, or (a storm, when a queue is given) handed to
    the storm queue. The rate limit counts requests: a storm in one body is never refused."""
    settings = integration.typed_settings()
    envelope = sns_envelope_type(body) if integration.kind == "cloudwatch" else None
    if envelope:
        _check_sns_signature(settings, body)
        if envelope != "Notification":
            return _sns_control_message(integration, envelope, body)
    alerts = _alerts(integration, settings, body)
    rate_limit.take(integration.integration_id, settings.rate_limit_per_minute)
    if storm_queue_url and storm.is_storm(alerts):
        parts = storm.hand_over(storm_queue_url, integration, alerts)
        note = f"{len(alerts)} alerts queued in {parts} part(s): they are taken in within seconds"
        return Intake(sns_message_type=envelope, note=note, queued=len(alerts))
    return Intake(outcomes=dedup.ingest(integration, alerts, raw), sns_message_type=envelope)


def _alerts(integration: Integration, settings: IntegrationSettings, body: Any) -> list[NormalizedAlert]:
    alerts = parsed(integration.kind, settings, body)
    return grouped(alerts, settings.grouping_key) if settings.grouping_key else alerts


def parsed(kind: str, settings: IntegrationSettings, body: Any) -> list[NormalizedAlert]:
    """The alerts in a body, by the integration's own mapping or the parser of its kind."""
    if settings.mapping is not None:
        return map_payload(settings.mapping, body, source=kind)
    return parse(kind, body)


def _check_sns_signature(settings: IntegrationSettings, body: dict[str, Any]) -> None:
    if not settings.verify_sns_signature:
        return
    try:
        genuine = sns_signature.genuine(body)
    except UpstreamUnavailable as unreachable:
        logger.warning("SNS signing certificate unreachable", extra={"error": str(unreachable)})
        count("SnsCertificateUnreachable")
        raise
    if not genuine:
        count("SnsSignatureRejected")
        raise Unauthorized("the SNS signature does not verify against SNS's certificate")


def _sns_control_message(integration: Integration, envelope: str, body: dict[str, Any]) -> Intake:
    if envelope == "SubscriptionConfirmation":
        if not sns_signature.confirm(body.get("SubscribeURL", "")):
            raise UpstreamUnavailable("could not confirm the SNS subscription; SNS will retry")
        logger.info(
            "SNS subscription confirmed",
            extra={"integration_id": integration.integration_id, "topic": body.get("TopicArn")},
        )
        return Intake(sns_message_type=envelope, note=f"subscribed to {body.get('TopicArn')}")
    if envelope == "UnsubscribeConfirmation":
        return Intake(sns_message_type=envelope, note=f"unsubscribed from {body.get('TopicArn')}")
    raise InvalidInput("Type", f"unknown SNS message type {envelope!r}")
