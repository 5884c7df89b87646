"""Channel messages: SMS length, Slack blocks, signed webhook bodies."""

from __future__ import annotations

import hashlib
import hmac

from vigil.domain.messages import canonical_json, signature_header, slack_message, sms_text

INCIDENT = {
    "incident_id": "inc_0123456789abcdef0123",
    "severity": "critical",
    "status": "open",
    "title": "Database connection failure on orders-db-primary " * 5,
    "description": "pool exhausted",
    "assigned_team": "database_team",
    "created_at": "2026-11-27T10:00:00.000Z",
}


def test_sms_is_under_160_characters_with_id_and_ack_instructions() -> None:
    text = sms_text(INCIDENT)
    assert len(text) <= 160
    assert INCIDENT["incident_id"] in text and "Ack" in text and text.startswith("[CRITICAL]")


def test_slack_message_has_severity_summary_and_both_buttons() -> None:
    message = slack_message(INCIDENT, link="https://vigil.example/inc")
    actions = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == ["acknowledge", "resolve"]
    assert all(a["value"] == INCIDENT["incident_id"] for a in actions)
    assert "CRITICAL" in message["blocks"][0]["text"]["text"]


def test_signature_header_has_one_signature_per_key_over_the_exact_body() -> None:
    body = canonical_json({"b": 1, "a": [1, 2]})
    assert body == b'{"a":[1,2],"b":1}'
    header = signature_header(body, [b"new", b"old"])
    expected = [f"v1={hmac.new(k, body, hashlib.sha256).hexdigest()}" for k in (b"new", b"old")]
    assert header.split(",") == expected
