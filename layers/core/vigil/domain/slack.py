"""Slack request signing (v0): HMAC-SHA256 over `v0:<timestamp>:<body>`, 5-minute window."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

REPLAY_WINDOW_SECONDS = 300


def expected_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()


def request_is_genuine(
    secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> bool:
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return False
    return hmac.compare_digest(expected_signature(secret, timestamp, body), signature)
