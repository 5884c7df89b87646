"""What a page says on each channel: pure builders, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from vigil.domain.page_context import safe_url

WEBHOOK_SCHEMA_VERSION = "vigil.incident.v1"
SMS_LIMIT = 160


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def signature_header(body: bytes, keys: list[bytes], timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex>[,v1=<hex>]`: an HMAC-SHA256 per key over `<t>.<body>`, as Stripe
    signs. Receivers accept any v1 (keys rotate without a gap) and refuse an old `t` (a captured
    delivery cannot be replayed later)."""
    signed = f"{timestamp}.".encode() + body
    return ",".join(
        [f"t={timestamp}"] + [f"v1={hmac.new(k, signed, hashlib.sha256).hexdigest()}" for k in keys]
    )


SIGNATURE_TOLERANCE_SECONDS = 300


def genuine_signature(header: str, body: bytes, key: bytes, now: int) -> bool:
    """What a receiver checks (docs/notifications.md): a v1 that matches, and a fresh `t`."""
    parts = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for name, _, value in parts if name == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = hmac.new(key, f"{stamps[0]}.".encode() + body, hashlib.sha256).hexdigest()
    return any(name == "v1" and hmac.compare_digest(expected, value) for name, _, value in parts)


def email_subject(text: str) -> str:
    """One line: CR, LF and other line breaks from alert text never reach a mail header."""
    return " ".join(text.split())


def sms_text(incident: dict[str, Any]) -> str:
    """At most 160 characters: severity, id, title, the alert count when more than one, how to
    acknowledge, and the first link if it fits whole."""
    context = incident.get("context") or {}
    count = int(context.get("alert_count") or 0)
    resolved = incident.get("status") == "resolved"
    head = f"[{'RESOLVED' if resolved else incident['severity'].upper()}] {incident['incident_id']}: "
    how = " Resolved at its source." if resolved else " Ack: reply in Vigil or use the email link."
    tail = (f" ({count} alerts)" if count > 1 else "") + how
    room = SMS_LIMIT - len(head) - len(tail)
    title = incident["title"] if len(incident["title"]) <= room else incident["title"][: room - 1] + "…"
    text = f"{head}{title}{tail}"
    first = (context.get("links") or [{}])[0].get("url")
    return f"{text} {first}" if first and len(text) + 1 + len(first) <= SMS_LIMIT else text


def slack_escaped(text: str) -> str:
    """Text from an alert as Slack shows it, never as a mention or a disguised link
    (Slack's formatting reference: escape &, < and > in mrkdwn)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(incident: dict[str, Any], link: str | None = None) -> dict[str, Any]:
    """Block Kit: severity, summary, link, and Acknowledge / Resolve buttons."""
    emoji = {"emergency": "🚨", "critical": "🚨", "high": "🔴", "medium": "🟠"}.get(
        incident["severity"], "🔵"
    )
    severity, title_text = incident["severity"].upper(), slack_escaped(incident["title"])
    resolved = incident.get("status") == "resolved"
    title = f"✅ *RESOLVED*: {title_text}" if resolved else f"{emoji} *{severity}*: {title_text}"
    fields = [
        {"type": "mrkdwn", "text": f"*Incident*\n{slack_escaped(incident['incident_id'])}"},
        {"type": "mrkdwn", "text": f"*Team*\n{slack_escaped(incident.get('assigned_team') or '-')}"},
        {"type": "mrkdwn", "text": f"*Status*\n{incident['status']}"},
        {"type": "mrkdwn", "text": f"*Opened*\n{incident['created_at']}"},
    ]
    context = incident.get("context") or {}
    if int(context.get("alert_count") or 0) > 1:
        fields.append({"type": "mrkdwn", "text": f"*Alerts*\n{context['alert_count']}"})
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}},
        {"type": "section", "fields": fields},
    ]
    if incident.get("description"):
        blocks.append(
            {"type": "section", "text": {"type": "plain_text", "text": incident["description"][:2900]}}
        )
    blocks += _slack_context(context)
    if link:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in Vigil>"}]}
        )
    if resolved:
        return {"text": f"RESOLVED: {title_text}", "blocks": blocks}
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
    return {"text": f"{severity}: {title_text}", "blocks": blocks}


def _slack_context(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerts' labels as text, and their links (checked http(s) URLs, escaped titles)."""
    blocks: list[dict[str, Any]] = []
    labels = context.get("labels") or {}
    if labels:
        text = ", ".join(f"{name}={value}" for name, value in labels.items())[:2900]
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": text}})
    links = [
        f"<{slack_escaped(link['url'])}|{slack_escaped(link['title'])}>"
        for link in context.get("links") or []
        if safe_url(link.get("url"))
    ]
    if links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
    return blocks


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
