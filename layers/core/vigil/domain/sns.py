"""What Amazon SNS signs in an HTTPS delivery, and which certificate URLs are SNS's own."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from vigil.domain.errors import InvalidInput

CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def string_to_sign(body: dict[str, Any]) -> bytes:
    """The canonical "Key\\nValue\\n" text of the signed fields (AWS: verify-message-signature)."""
    keys = NOTIFICATION_KEYS if body.get("Type") == "Notification" else CONFIRMATION_KEYS
    parts = [f"{key}\n{body[key]}\n" for key in keys if body.get(key) is not None]
    return "".join(parts).encode()


def sns_url(url: object, field: str) -> str:
    """A URL of SNS itself (https://sns.<region>.amazonaws.com/...), or InvalidInput."""
    parts = urlsplit(url if isinstance(url, str) else "")
    if parts.scheme != "https" or not CERT_HOST.match(parts.hostname or ""):
        raise InvalidInput(field, "must be an https URL of sns.<region>.amazonaws.com")
    return str(url)
