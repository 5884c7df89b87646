"""PagerDuty Events API v2 bodies -> NormalizedAlert.

Bodies are validated as PagerDuty validates them: ``event_action`` is one of trigger,
acknowledge, resolve; a trigger needs ``payload.summary`` (at most 1024 characters),
``payload.source`` and ``payload.severity`` (critical, error, warning, info); acknowledge and
resolve need ``dedup_key``; ``dedup_key`` is at most 255 characters.

A trigger without ``dedup_key`` gets a deterministic one: the hash of summary, source,
severity, component, group and class. (PagerDuty itself generates a random key, which makes a
retried trigger a second alert; a deterministic key makes retries idempotent, at the price of
merging two identical triggers that were meant to be distinct: send a dedup_key for those.)

``routing_key`` is the sender's credential: it is checked elsewhere and never copied into the
alert. Status: trigger -> firing, acknowledge -> acknowledged, resolve -> resolved.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from vigil.domain.alerts import AlertStatus, NormalizedAlert, Severity
from vigil.domain.clock import iso
from vigil.domain.errors import InvalidInput
from vigil.domain.model import Model
from vigil.domain.parsers._common import (
    as_dict,
    build_alert,
    category_from,
    child,
    enum_value,
    fit_title,
    opt_dict,
    opt_list,
    opt_str,
    parse_timestamp,
    req_dict,
    req_str,
    stable_hash,
)

SOURCE = "pagerduty"
MAX_SUMMARY_LENGTH = 1024
MAX_DEDUP_KEY_LENGTH = 255

_ACTIONS = {
    "trigger": AlertStatus.FIRING,
    "acknowledge": AlertStatus.ACKNOWLEDGED,
    "resolve": AlertStatus.RESOLVED,
}
_SEVERITIES = {
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.INFO,
}
_LABEL_FIELDS = ("source", "component", "group", "class")
_HASHED_FIELDS = ("summary", "source", "severity", "component", "group", "class")


def validate_pagerduty_event(payload: object) -> None:
    """Raise InvalidInput unless `payload` is an Events API v2 body PagerDuty would accept."""
    body = as_dict(payload, "")
    action = _action(body)
    opt_str(body, "routing_key", "")
    dedup_key = _given_dedup_key(body)
    if action is AlertStatus.FIRING:
        _validate_trigger_payload(req_dict(body, "payload", ""))
    elif dedup_key is None:
        raise InvalidInput("dedup_key", "is required to acknowledge or resolve")
    opt_list(body, "links", "")
    opt_list(body, "images", "")


def parse_pagerduty(payload: object) -> list[NormalizedAlert]:
    validate_pagerduty_event(payload)
    body = as_dict(payload, "")
    event = opt_dict(body, "payload", "")
    identity = {name: event.get(name) for name in _HASHED_FIELDS}
    dedup_key = _given_dedup_key(body) or stable_hash(identity)
    summary = opt_str(event, "summary", "payload")
    return [
        build_alert(
            source=SOURCE,
            dedup_key=dedup_key,
            status=_action(body),
            title=fit_title(summary if summary and summary.strip() else dedup_key),
            severity=_severity(event),
            category=category_from(event.get("class")),
            labels=_labels(event),
            details=_details(body, event),
            starts_at=parse_timestamp(event.get("timestamp")),
            source_url=_source_url(body),
        )
    ]


def _action(body: dict[str, Any]) -> AlertStatus:
    status: AlertStatus = enum_value(body, "event_action", "", _ACTIONS)
    return status


def _given_dedup_key(body: dict[str, Any]) -> str | None:
    dedup_key = opt_str(body, "dedup_key", "")
    if dedup_key is None or not dedup_key.strip():
        return None
    if len(dedup_key) > MAX_DEDUP_KEY_LENGTH:
        raise InvalidInput("dedup_key", f"must be at most {MAX_DEDUP_KEY_LENGTH} characters")
    return dedup_key.strip()


def _validate_trigger_payload(event: dict[str, Any]) -> None:
    summary = req_str(event, "summary", "payload")
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise InvalidInput("payload.summary", f"must be at most {MAX_SUMMARY_LENGTH} characters")
    req_str(event, "source", "payload")
    enum_value(event, "severity", "payload", _SEVERITIES)
    for name in ("timestamp", "component", "group", "class"):
        opt_str(event, name, "payload")


def _severity(event: dict[str, Any]) -> Severity:
    value = event.get("severity")
    if isinstance(value, str):
        return _SEVERITIES.get(value.strip().lower(), Severity.HIGH)
    return Severity.HIGH


def _labels(event: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for name in _LABEL_FIELDS:
        value = opt_str(event, name, "payload")
        if value:
            labels[name] = value
    return labels


def _details(body: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """Everything useful to a responder; routing_key (a credential) deliberately left out."""
    details: dict[str, Any] = {"event_action": body["event_action"]}
    if event.get("custom_details") is not None:
        details["custom_details"] = event["custom_details"]
    if isinstance(event.get("severity"), str):
        details["pagerduty_severity"] = event["severity"]
    for name in ("client", "client_url"):
        value = opt_str(body, name, "")
        if value:
            details[name] = value
    for name in ("links", "images"):
        items = opt_list(body, name, "")
        if items:
            details[name] = items
    return details


def _source_url(body: dict[str, Any]) -> str | None:
    """client_url, else the first link's href."""
    client_url = opt_str(body, "client_url", "")
    if client_url and client_url.strip():
        return client_url.strip()
    for i, raw in enumerate(opt_list(body, "links", "")):
        href = opt_str(as_dict(raw, child("links", i)), "href", child("links", i))
        if href and href.strip():
            return href.strip()
    return None


# ----------------------------------------------------------------------------- change events
class ChangeEvent(Model):
    """A PagerDuty Change Event (POST /v2/change/enqueue): something changed, nothing is wrong."""

    summary: str
    source: str = ""
    timestamp: str = ""
    custom_details: dict[str, Any] = Field(default_factory=dict)
    links: list[dict[str, str]] = Field(default_factory=list)


def parse_change_event(payload: object) -> ChangeEvent:
    """Validated as PagerDuty validates it: `payload.summary` is required (at most 1024)."""
    body = as_dict(payload, "")
    event = req_dict(body, "payload", "")
    summary = req_str(event, "summary", "payload")
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise InvalidInput("payload.summary", f"must be at most {MAX_SUMMARY_LENGTH} characters")
    stamp = parse_timestamp(opt_str(event, "timestamp", "payload"))
    return ChangeEvent(
        summary=summary,
        source=opt_str(event, "source", "payload") or "",
        timestamp=iso(stamp) if stamp else "",
        custom_details=opt_dict(event, "custom_details", "payload"),
        links=[_link(raw, child("links", i)) for i, raw in enumerate(opt_list(body, "links", ""))],
    )


def _link(raw: object, path: str) -> dict[str, str]:
    link = as_dict(raw, path)
    return {"href": req_str(link, "href", path), "text": opt_str(link, "text", path) or ""}
