"""What a page says on each channel: pure builders, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

WEBHOOK_SCHEMA_VERSION = "vigil.incident.v1"
SMS_LIMIT = 160


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def signature_header(body: bytes, keys: list[bytes]) -> str:
    """`v1=<hex>` per key: receivers accept any, so keys can rotate without a gap."""
    return ",".join(f"v1={hmac.new(k, body, hashlib.sha256).hexdigest()}" for k in keys)


def sms_text(incident: dict[str, Any]) -> str:
    """Under 160 characters: severity, id, title, and how to acknowledge."""
    head = f"[{incident['severity'].upper()}] {incident['incident_id']}: "
    tail = " Ack: reply in Vigil or use the email link."
    room = SMS_LIMIT - len(head) - len(tail)
    title = incident["title"] if len(incident["title"]) <= room else incident["title"][: room - 1] + "…"
    return f"{head}{title}{tail}"


def slack_message(incident: dict[str, Any], link: str | None = None) -> dict[str, Any]:
    """Block Kit: severity, summary, link, and Acknowledge / Resolve buttons."""
    emoji = {"emergency": "🚨", "critical": "🚨", "high": "🔴", "medium": "🟠"}.get(
        incident["severity"], "🔵"
    )
    title = f"{emoji} *{incident['severity'].upper()}*: {incident['title']}"
    fields = [
        {"type": "mrkdwn", "text": f"*Incident*\n{incident['incident_id']}"},
        {"type": "mrkdwn", "text": f"*Team*\n{incident.get('assigned_team') or '-'}"},
        {"type": "mrkdwn", "text": f"*Status*\n{incident['status']}"},
        {"type": "mrkdwn", "text": f"*Opened*\n{incident['created_at']}"},
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}},
        {"type": "section", "fields": fields},
    ]
    if incident.get("description"):
        blocks.append(
            {"type": "section", "text": {"type": "plain_text", "text": incident["description"][:2900]}}
        )
    if link:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in Vigil>"}]}
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                    "style": "primary",
                    "action_id": "acknowledge",
                    "value": incident["incident_id"],
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Resolve"},
                    "style": "danger",
                    "action_id": "resolve",
                    "value": incident["incident_id"],
                },
            ],
        }
    )
    return {"text": f"{incident['severity'].upper()}: {incident['title']}", "blocks": blocks}


def webhook_event(message: dict[str, Any]) -> dict[str, Any]:
    """The documented, versioned body of a generic webhook delivery (docs/notifications.md)."""
    return {
        "schema": WEBHOOK_SCHEMA_VERSION,
        "event": "incident.page"
        if message.get("purpose", "page") == "page"
        else f"incident.{message['purpose']}",
        "delivery_id": message["delivery_id"],
        "team": message["team"],
        "rung": message["rung"],
        "round": message["round"],
        "incident": message["incident"],
    }
