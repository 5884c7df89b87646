"""The original spec's alerting API: alerts sent straight to Vigil (one or in bulk), and alert queries."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from vigil.adapters import stores
from vigil.domain.alerts import (
    PUBLIC_FIELDS,
    AlertOutcome,
    AlertStatus,
    NormalizedAlert,
    Severity,
    StoredAlert,
)
from vigil.domain.errors import NotFound
from vigil.domain.integrations import Integration
from vigil.services import integrations
from vigil.services.ingest import dedup

BUILTIN_ID = "int_api_builtin"


def builtin_integration() -> Integration:
    """Alerts posted to /api/alerting belong to this integration."""
    return integrations.builtin(BUILTIN_ID, "Alerting API (/api/alerting/send and /bulk)", "generic")


def to_alert(fields: dict[str, Any]) -> NormalizedAlert:
    """The original spec's alert (already validated by the API model) as a normalized alert."""
    labels = fields.get("labels") or {}
    identity = {"title": fields["title"], "source": fields.get("source") or "api", "labels": labels}
    dedup_key = (
        fields.get("dedup_key")
        or hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[
            :32
        ]
    )
    return NormalizedAlert(
        source=fields.get("source") or "api",
        dedup_key=dedup_key,
        status=AlertStatus(fields.get("status") or "firing"),
        title=fields["title"],
        description=fields.get("description") or "",
        severity=Severity(fields.get("severity") or "high"),
        category=fields.get("category"),
        labels=labels,
        correlation_key=fields.get("correlation_id"),
        starts_at=fields.get("timestamp"),
    )


def correlation_result(outcome: AlertOutcome, correlation_id: str | None) -> dict[str, Any]:
    """The original spec's answer: did this create an alert, or update/join an existing one?"""
    existing = outcome.action in ("duplicate", "joined", "resolved", "acknowledged")
    return {
        "action": "update_existing" if existing else "create_new",
        "reason": outcome.reason or outcome.action,
        "existing_alert_id": outcome.alert_id if outcome.action != "joined" and existing else None,
        "correlation_id": correlation_id,
    }


def send(fields: dict[str, Any]) -> dict[str, Any]:
    outcome = dedup.ingest(builtin_integration(), [to_alert(fields)], json.dumps(fields, default=str))[0]
    return {
        **outcome.as_dict(),
        "correlation_result": correlation_result(outcome, fields.get("correlation_id")),
    }


def public(alert: StoredAlert, *, with_raw: bool = False) -> dict[str, Any]:
    """The alert as callers see it: each public field as stored (null when it never was)."""
    stored = alert.stored()
    view = {f: stored.get(f) for f in PUBLIC_FIELDS}
    view["silenced_by"] = view["silenced_by"] or None
    if with_raw:
        view["raw_payload"] = alert.raw_payload or None
        view["details"] = alert.details or {}
    return view


def get(alert_id: str) -> dict[str, Any]:
    alert = stores.alerts.find(alert_id)
    if not alert:
        raise NotFound(f"no alert {alert_id}")
    return public(alert, with_raw=True)


def list_alerts(
    filters: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Alerts first seen in [since, until], newest first, filtered by field."""
    wanted = {f: filters[f] for f in ("status", "severity", "source", "category") if filters.get(f)}
    window = (filters.get("since") or "0", (filters.get("until") or "9999") + "\uffff")
    items, next_cursor = stores.alerts.page(
        lambda alert: all(getattr(alert, f) == v for f, v in wanted.items()),
        limit,
        cursor,
        first_seen_between=window,
    )
    return [public(i) for i in items], next_cursor
