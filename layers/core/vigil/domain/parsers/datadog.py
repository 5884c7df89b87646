"""Datadog monitor webhooks -> NormalizedAlert.

Datadog webhook bodies are templates the user writes, so several spellings of each field are
accepted (``monitor_id`` / ``alert_id``, ``alert_scope`` / ``scopes`` / ``scope``,
``alert_priority`` / ``priority`` / a ``severity`` holding ``P1``..``P5``). The payload may be
one body or an array of bodies.

dedup_key is ``<monitor id>:<scope>`` (the scope's comma-separated tags sorted), never the event
``id``: every notification of one monitor group (Triggered, Re-Triggered, Recovered) shares it.
correlation_key is ``monitor:<monitor id>``, grouping the scopes of one monitor.

Status: Triggered / Re-Triggered / Warn / Re-Warn -> firing, Recovered -> resolved, anything
else (No Data, Renotify ...) -> unknown; without ``alert_transition`` the ``alert_type`` decides.
Severity: priority P1 -> critical, else a warning -> medium, else high.
"""

from __future__ import annotations

import re
from typing import Any

from vigil.domain.alerts import AlertStatus, NormalizedAlert, Severity
from vigil.domain.errors import InvalidInput
from vigil.domain.parsers._common import (
    as_dict,
    build_alert,
    category_from,
    child,
    first_str,
    fit_key,
    fit_title,
    opt_id,
    opt_str,
    parse_timestamp,
    tag_labels,
)

SOURCE = "datadog"

_TRANSITIONS = {
    "triggered": AlertStatus.FIRING,
    "re-triggered": AlertStatus.FIRING,
    "warn": AlertStatus.FIRING,
    "re-warn": AlertStatus.FIRING,
    "recovered": AlertStatus.RESOLVED,
}
_ALERT_TYPES = {
    "error": AlertStatus.FIRING,
    "warning": AlertStatus.FIRING,
    "success": AlertStatus.RESOLVED,
}
_WARNINGS = frozenset({"warn", "re-warn", "warning"})
_PRIORITY = re.compile(r"^[Pp][1-5]$")
_MONITOR_KEYS = ("monitor_id", "alert_id")
_SCOPE_KEYS = ("alert_scope", "scopes", "scope")
_PRIORITY_KEYS = ("alert_priority", "priority", "severity")


def parse_datadog(payload: object) -> list[NormalizedAlert]:
    if isinstance(payload, list):
        return [_parse_event(raw, child("", i)) for i, raw in enumerate(payload)]
    return [_parse_event(payload, "")]


def _parse_event(raw: object, path: str) -> NormalizedAlert:
    event = as_dict(raw, path)
    monitor_id = _monitor_id(event, path)
    scope = _scope(event, path)
    status, kind = _status(event, path)
    priority = _priority(event, path)
    labels = tag_labels(event.get("tags"), child(path, "tags"))
    title = first_str(event, ("title", "event_title"), path) or f"Datadog monitor {monitor_id}"
    return build_alert(
        source=SOURCE,
        dedup_key=fit_key(f"{monitor_id}:{scope}" if scope else monitor_id),
        status=status,
        title=fit_title(title),
        description=_unfence(first_str(event, ("body", "text", "message"), path) or ""),
        severity=_severity(kind, priority),
        category=category_from(labels.get("category")),
        labels=labels,
        details=_details(event, path, monitor_id, scope, priority),
        correlation_key=fit_key(f"monitor:{monitor_id}"),
        starts_at=parse_timestamp(event.get("date") or event.get("last_updated")),
        source_url=first_str(event, ("link", "url"), path),
    )


def _monitor_id(event: dict[str, Any], path: str) -> str:
    for key in _MONITOR_KEYS:
        value = opt_id(event, key, path)
        if value is not None:
            return value
    raise InvalidInput(child(path, "monitor_id"), "is required (or alert_id)")


def _scope(event: dict[str, Any], path: str) -> str:
    """The monitor group, its tags sorted so that "a:1, b:2" and "b:2,a:1" are one scope."""
    scope = first_str(event, _SCOPE_KEYS, path) or ""
    return ",".join(sorted({tag.strip() for tag in scope.split(",") if tag.strip()}))


def _status(event: dict[str, Any], path: str) -> tuple[AlertStatus, str]:
    """The status and the normalized word it came from (transition, else alert type)."""
    transition = first_str(event, ("alert_transition",), path)
    if transition is not None:
        word = "-".join(transition.strip().lower().replace("_", " ").split())
        return _TRANSITIONS.get(word, AlertStatus.UNKNOWN), word
    alert_type = first_str(event, ("alert_type",), path)
    if alert_type is None:
        raise InvalidInput(child(path, "alert_transition"), "is required (or alert_type)")
    word = alert_type.strip().lower()
    return _ALERT_TYPES.get(word, AlertStatus.UNKNOWN), word


def _priority(event: dict[str, Any], path: str) -> str | None:
    for key in _PRIORITY_KEYS:
        value = opt_str(event, key, path)
        if value and _PRIORITY.match(value.strip()):
            return value.strip().upper()
    return None


def _severity(kind: str, priority: str | None) -> Severity:
    if priority == "P1":
        return Severity.CRITICAL
    if kind in _WARNINGS:
        return Severity.MEDIUM
    return Severity.HIGH


def _details(
    event: dict[str, Any], path: str, monitor_id: str, scope: str, priority: str | None
) -> dict[str, Any]:
    details: dict[str, Any] = {"monitor_id": monitor_id}
    if scope:
        details["scope"] = scope
    if priority:
        details["priority"] = priority
    for key, name in (
        ("id", "event_id"),
        ("event_type", "event_type"),
        ("alert_type", "alert_type"),
        ("alert_transition", "alert_transition"),
        ("alert_query", "alert_query"),
    ):
        value = opt_id(event, key, path) if key == "id" else opt_str(event, key, path)
        if value:
            details[name] = value
    if isinstance(event.get("org"), dict):
        details["org"] = event["org"]
    return details


def _unfence(body: str) -> str:
    """Drop the %%% markers Datadog wraps markdown bodies in."""
    text = body.strip()
    if len(text) >= 6 and text.startswith("%%%") and text.endswith("%%%"):
        text = text[3:-3].strip()
    return text
