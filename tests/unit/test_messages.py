"""Channel messages: SMS length, Slack blocks, signed webhook bodies."""

from __future__ import annotations

import hashlib
import hmac

from vigil.domain.messages import (
    canonical_json,
    genuine_signature,
    signature_header,
    slack_message,
    sms_text,
)

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


def test_signature_header_has_a_timestamp_and_one_signature_per_key_over_it_and_the_body() -> None:
    body = canonical_json({"b": 1, "a": [1, 2]})
    assert body == b'{"a":[1,2],"b":1}'
    header = signature_header(body, [b"new", b"old"], 1_767_225_600)
    signed = b"1767225600." + body
    expected = [f"v1={hmac.new(k, signed, hashlib.sha256).hexdigest()}" for k in (b"new", b"old")]
    assert header.split(",") == ["t=1767225600", *expected]


def test_a_receiver_accepts_a_fresh_signature_and_refuses_a_replay_or_a_tampered_body() -> None:
    body = b'{"a":1}'
    header = signature_header(body, [b"new", b"old"], 1_000_000)
    assert genuine_signature(header, body, b"old", now=1_000_000 + 299)
    assert not genuine_signature(header, body, b"old", now=1_000_000 + 301)  # replayed later
    assert not genuine_signature(header, b'{"a":2}', b"new", now=1_000_000)
    assert not genuine_signature(header.replace("t=1000000", "t=1000100"), body, b"new", now=1_000_100)
    assert not genuine_signature(header, body, b"stranger", now=1_000_000)
