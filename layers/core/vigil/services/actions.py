"""Acting on an incident without an API key: signed email links and Slack buttons."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from vigil.adapters import stores
from vigil.adapters.signing import reread_slack_signing_secret, signing_keys, slack_signing_secret
from vigil.domain import action_links, slack
from vigil.domain.clock import utcnow
from vigil.domain.errors import InvalidInput, InvalidTransition, Unauthorized
from vigil.domain.incidents import Status, StoredIncident
from vigil.services import incidents

STATUS_FOR = {"acknowledge": Status.ACKNOWLEDGED, "resolve": Status.RESOLVED}


def _verify_link(token: str) -> tuple[str, str, str]:
    # A link is ASCII by construction; hmac.compare_digest cannot compare other text (TypeError).
    if not token.isascii():
        raise Unauthorized("this link is not valid")
    return action_links.verify(token, signing_keys(), utcnow())


def peek_link(token: str) -> tuple[str, str]:
    """(incident id, action) of a valid, unexpired link, without spending it."""
    incident_id, action, _ = _verify_link(token)
    return incident_id, action


def follow_link(token: str) -> StoredIncident:
    """Perform a link's action once: its nonce is spent by a conditional write."""
    incident_id, action, nonce = _verify_link(token)
    now = utcnow()
    if not stores.links.spend(
        nonce, now=now, forget_after=now + action_links.LINK_LIFETIME + timedelta(days=1)
    ):
        raise Unauthorized("this link has already been used")
    return _act(incident_id, action, actor=f"link:{action}")


def slack_action(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """A Slack interactive button press, believed only if Slack's signature holds."""
    timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
    # Both are ASCII when genuine; other text breaks int() ("²".isdigit()) and compare_digest.
    ascii_headers = (timestamp or "").isascii() and (signature or "").isascii()
    if not ascii_headers or not _signed_by_slack(timestamp, signature, body):
        raise Unauthorized("Slack signature missing, wrong or stale")
    try:
        payload = json.loads(parse_qs(body.decode())["payload"][0])
        button = payload["actions"][0]
        action, incident_id = button["action_id"], button["value"]
        user = payload.get("user", {}).get("username") or payload.get("user", {}).get("id", "someone")
    except (KeyError, IndexError, ValueError, TypeError):
        raise InvalidInput("payload", "not a Slack block action") from None
    if action not in STATUS_FOR:
        raise InvalidInput("payload.actions[0].action_id", "must be acknowledge or resolve")
    record = _act(incident_id, action, actor=f"slack:{user}")
    return {
        "response_type": "in_channel",
        "replace_original": False,
        "text": f"{incident_id} {record.status} by {user}",
    }


def _signed_by_slack(timestamp: str | None, signature: str | None, body: bytes) -> bool:
    """Checked against the kept secret, then against a new read of it (the operator may have
    just stored or changed it: the change holds at once)."""
    secret = slack_signing_secret()
    if secret and slack.request_is_genuine(secret, timestamp, signature, body, utcnow()):
        return True
    reread = reread_slack_signing_secret()
    secret = secret if reread is None else reread
    if not secret:
        raise Unauthorized(
            "Slack actions are not configured: store slack_signing_secret in the signing secret"
        )
    return slack.request_is_genuine(secret, timestamp, signature, body, utcnow())


def _act(incident_id: str, action: str, *, actor: str) -> StoredIncident:
    try:
        return incidents.change_status(incident_id, STATUS_FOR[action], actor=actor, reason=f"via {actor}")
    except InvalidTransition:
        record = incidents.get_record(incident_id)
        if record.status in (Status.ACKNOWLEDGED.value, Status.RESOLVED.value, Status.CLOSED.value):
            return record  # already done by someone else: the person's intent holds
        raise
