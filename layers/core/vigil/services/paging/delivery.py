"""Delivering one notification, exactly once, through the ledger keyed by its delivery id.

Transient failures (5xx, 429, timeouts, AWS throttling) are retried by the queue with
exponential backoff and jitter; other failures are final at once. A final failure goes on
the timeline, raises a metric and is retried on a fallback channel (Slack or webhook → email,
email → SMS, SMS → email).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from vigil.adapters import channels, stores
from vigil.adapters.aws import is_transient
from vigil.adapters.outbound_http import HttpResult
from vigil.adapters.signing import signing_keys
from vigil.domain.clock import iso, parse_iso, utcnow
from vigil.domain.deliveries import Delivery, DeliveryMessage
from vigil.domain.errors import InvalidTransition, NotFound
from vigil.domain.handoffs import handoff_event, notice_html, notice_lines, notice_sms, notice_subject
from vigil.domain.incidents import PAGING_STATES, Status
from vigil.domain.messages import (
    canonical_json,
    email_subject,
    signature_header,
    slack_message,
    webhook_event,
)
from vigil.domain.teams import destinations, redacted, shown_destinations
from vigil.observability import count, logger
from vigil.services.paging import notify, rendering
from vigil.services.timeline import add_timeline

MAX_ATTEMPTS = 5  # the queues' maxReceiveCount: the last try before the dead-letter queue
LEASE_SECONDS = 60
MAX_BACKOFF_SECONDS = 900
MAX_VISIBILITY_SECONDS = 12 * 3600  # SQS's longest; a step due later waits again
FALLBACK_CHANNEL = {"slack": "email", "webhook": "email", "email": "sms", "sms": "email"}


class DeliveryFailed(Exception):
    """Retry this delivery after `retry_after` seconds (the queue makes it visible again)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SendResult:
    ok: bool
    detail: str = ""
    status_code: int | None = None
    transient: bool = False
    sent_to: tuple[str, ...] = ()  # destinations reached by this attempt: never sent to again


@dataclass(frozen=True)
class DeliveryOptions:
    """What the deliver functions are configured with (vigil.config, read by the entry point)."""

    retry_base_seconds: float = 5.0
    public_base_url: str = ""  # where acknowledge links in emails point; none without it


def backoff_seconds(attempt: int, base: float) -> int:
    """Exponential backoff with full jitter: uniform(0, base * 2^(attempt-1)), capped."""
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempt - 1))
    return math.ceil(random.uniform(0, ceiling))


def deliver(given: DeliveryMessage | dict[str, Any], attempt: int, options: DeliveryOptions) -> str:
    """sent, duplicate, stopped or failed; raises DeliveryFailed when the queue should retry
    (or hold a person's later notification step until it is due)."""
    message = DeliveryMessage.model_validate(given)
    delivery = message.delivery_id
    wait = _seconds_until_due(message)
    if wait > 0:
        raise DeliveryFailed("not due yet", min(wait, MAX_VISIBILITY_SECONDS))
    if message.until_acknowledged and not _still_paging(_incident(message)["incident_id"]):
        count("NotificationStepsStopped")
        return "stopped"
    already_sent = _claim(message)
    if already_sent is None:
        count("DeliveriesDeduplicated")
        return "duplicate"
    pending = message.model_copy(
        update={"destinations": [d for d in message.destinations if d not in already_sent]}
    )
    result = _send(pending, options.public_base_url)
    stores.deliveries.finish(
        delivery,
        sent=result.ok,
        detail=result.detail,
        status_code=result.status_code,
        now=utcnow(),
        sent_to=list(result.sent_to),
    )
    if result.ok:
        count("DeliveriesSent")
        _record_sent(message)
        return "sent"
    count("DeliveriesFailed")
    logger.warning(
        "delivery failed", extra={"delivery_id": delivery, "attempt": attempt, "detail": result.detail}
    )
    if result.transient and attempt < MAX_ATTEMPTS:
        raise DeliveryFailed(result.detail, backoff_seconds(attempt, options.retry_base_seconds))
    _record_final_failure(message, result, attempt)
    _fall_back(message)
    if result.transient:  # let the queue move it to the dead-letter queue, for a replay
        raise DeliveryFailed(result.detail, 0)
    return "failed"


def _seconds_until_due(message: DeliveryMessage) -> int:
    if not message.not_before:
        return 0
    return math.ceil((parse_iso(message.not_before) - utcnow()).total_seconds())


def _incident(message: DeliveryMessage) -> dict[str, Any]:
    """What a page carries of its incident (every message but a handoff notice has one)."""
    return message.incident or {}


def _still_paging(incident_id: str) -> bool:
    """A person's later step is sent only while nobody has acknowledged or resolved."""
    incident = stores.incidents.find(incident_id)
    return incident is not None and Status(incident.status) in PAGING_STATES


# ----------------------------------------------------------------------------- sending
def _send(message: DeliveryMessage, public_base_url: str) -> SendResult:
    """One attempt at every destination not yet reached; each destination is tried even when
    another fails, so that one bad address never holds back the others."""
    try:
        if message.channel == "email":
            return _send_email(message, public_base_url)
    except Exception as error:
        return _failed(error)
    if message.channel == "sms":
        return _send_sms(message)
    return _send_http(message, public_base_url)


def _failed(error: Exception, sent_to: tuple[str, ...] = ()) -> SendResult:
    detail = f"{type(error).__name__}: {error}"[:500]
    return SendResult(ok=False, detail=detail, transient=is_transient(error), sent_to=sent_to)


def _send_sms(message: DeliveryMessage) -> SendResult:
    text = (
        notice_sms(message.handoff)
        if message.handoff
        else rendering.render_template("sms_text", _incident(message), {})
    )
    sent: list[str] = []
    ids: list[str] = []
    failure: Exception | None = None
    for phone in message.destinations:
        try:
            ids.append(channels.send_sms(phone, text))
            sent.append(phone)
        except Exception as error:
            failure = failure or error
    if failure is not None:
        return _failed(failure, tuple(sent))
    return SendResult(ok=True, detail=", ".join(ids), sent_to=tuple(sent))


def _email_parts(message: DeliveryMessage, public_base_url: str) -> dict[str, str]:
    """Subject, HTML and text: a handoff notice's own, or the incident's templates with its links."""
    if message.handoff:
        notice = message.handoff
        return {
            "email_subject": notice_subject(notice),
            "email_html": notice_html(notice),
            "email_text": "\n".join(notice_lines(notice)),
        }
    incident = _incident(message)
    links = rendering.action_links_for(incident["incident_id"], public_base_url)
    return {
        name: rendering.render_template(name, incident, links)
        for name in ("email_subject", "email_html", "email_text")
    }


def _send_email(message: DeliveryMessage, public_base_url: str) -> SendResult:
    parts = _email_parts(message, public_base_url)
    message_id = channels.send_email(
        message.destinations,
        email_subject(parts["email_subject"]),
        parts["email_html"],
        parts["email_text"],
    )
    return SendResult(ok=True, detail=message_id)


def _send_http(message: DeliveryMessage, public_base_url: str) -> SendResult:
    if message.channel == "slack":  # a handoff notice never goes to Slack (people.UNSENDABLE)
        incident = _incident(message)
        base = public_base_url
        link = rendering.console_link(base, incident["incident_id"]) if base else None
        body = canonical_json(slack_message(incident, link))
        headers = {"X-Vigil-Delivery": message.delivery_id}
    else:
        event = handoff_event if message.handoff else webhook_event
        body = canonical_json(event(message.published()))
        headers = {
            "X-Vigil-Delivery": message.delivery_id,
            "X-Vigil-Signature": signature_header(body, signing_keys(), int(utcnow().timestamp())),
        }
    sent: list[str] = []
    failures: list[tuple[str, HttpResult]] = []
    for url in message.destinations:
        result = channels.post(url, body, headers, channel=message.channel)
        if result.ok:
            sent.append(url)
        else:
            failures.append((url, result))
    if not failures:
        return SendResult(ok=True, detail="2xx", status_code=200 if sent else None, sent_to=tuple(sent))
    url, first = failures[0]
    return SendResult(
        ok=False,
        detail=f"{redacted(url)}: {first.error or first.status}"[:500],
        status_code=first.status,
        transient=any(_worth_retrying(result) for _, result in failures),
        sent_to=tuple(sent),
    )


def _worth_retrying(result: HttpResult) -> bool:
    """A refused target, or an answer such as 410 or 400, will not change by trying again."""
    return not result.refused and (result.status is None or result.status >= 500 or result.status == 429)


# ----------------------------------------------------------------------------- ledger
def _claim(message: DeliveryMessage) -> list[str] | None:
    """Take the delivery (only if it is new, failed, or its sender's lease has lapsed): the
    destinations an earlier attempt already reached, or None when it is not ours to send."""
    now = utcnow()
    return stores.deliveries.claim(message, now=now, lease_until=now + timedelta(seconds=LEASE_SECONDS))


def _record_sent(message: DeliveryMessage) -> None:
    if message.incident_id is None:  # a handoff notice is on no incident's timeline
        return
    add_timeline(
        message.incident_id,
        "notified",
        f"{message.channel} to {message.team} delivered ({len(message.destinations)} destination(s))",
        data={"delivery_id": message.delivery_id, "channel": message.channel, "team": message.team},
        entry_id=f"notified-{message.delivery_id}",
    )


def _record_final_failure(message: DeliveryMessage, result: SendResult, attempt: int) -> None:
    count("DeliveriesAbandoned")
    if message.incident_id is None:
        return
    add_timeline(
        message.incident_id,
        "delivery_failed",
        f"{message.channel} to {message.team} failed after {attempt} attempt(s): {result.detail[:200]}",
        data={
            "delivery_id": message.delivery_id,
            "channel": message.channel,
            "attempts": attempt,
            "status_code": result.status_code,
        },
        entry_id=f"abandoned-{message.delivery_id}",
    )


def _fall_back(message: DeliveryMessage) -> None:
    """Try the team on another channel, once (a fallback has no fallback of its own)."""
    incident_id = message.incident_id
    if message.purpose.startswith("fallback") or incident_id is None:
        return
    channel = FALLBACK_CHANNEL[message.channel]
    team = notify.load_team(message.team)
    found = destinations(team, channel) if team else []
    if not found:
        add_timeline(
            incident_id,
            "page_failed",
            f"no {channel} contact for {message.team} to fall back to",
            entry_id=f"nofallback-{message.delivery_id}",
        )
        return
    fallback = message.model_copy(
        update={
            "channel": channel,
            "destinations": found,
            "purpose": f"fallback-{message.channel}",
            "delivery_id": "dlv_"
            + hashlib.sha256(f"{message.delivery_id}:{channel}".encode()).hexdigest()[:24],
        }
    )
    channels.publish_notification(fallback.published(), channel)
    add_timeline(
        incident_id,
        "page",
        f"falling back to {channel} for {message.team}",
        data={"delivery_id": fallback.delivery_id, "channel": channel},
        entry_id=f"fallback-{message.delivery_id}",
    )


# ----------------------------------------------------------------------------- the ledger API


def list_deliveries(
    incident_id: str | None, *, channel: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Delivery], str | None]:
    """The ledger, newest first: of one incident, or of all; of one channel and status, or of any."""
    items, next_cursor = stores.deliveries.page(
        incident_id, channel=channel, status=status, limit=limit, cursor=cursor
    )
    return [item.shown() for item in items], next_cursor


def replay(delivery: str, actor: str) -> Delivery:
    """Send a failed delivery again, through its queue."""
    item = stores.deliveries.find(delivery)
    if not item:
        raise NotFound(f"no delivery {delivery}")
    if item.status != "failed":
        raise InvalidTransition(
            f"delivery {delivery} is {item.status}; only a failed one can be replayed",
            details=[{"field": "status", "message": f"current={item.status}"}],
        )
    message = DeliveryMessage.model_validate_json(item.message)
    channels.publish_notification(message.published(), message.channel)
    if message.incident_id is None:
        return item.shown()
    add_timeline(
        item.incident_id,
        "page",
        f"{item.channel} delivery replayed",
        actor=actor,
        data={"delivery_id": delivery},
    )
    return item.shown()


def send_test(team_name: str, wanted: list[str], severity: str, public_base_url: str) -> list[dict[str, Any]]:
    """The original spec's test endpoint: send now, to the team's destinations, and say what happened."""
    team = notify.load_team(team_name)
    now = iso(utcnow())
    incident = {
        "incident_id": "inc_test",
        "title": f"Vigil test notification for {team_name}",
        "description": "This is a test. Nothing is wrong.",
        "severity": severity,
        "category": None,
        "status": "open",
        "assigned_team": team_name,
        "created_at": now,
        "source": "test",
    }
    results = []
    for channel in wanted:
        found = destinations(team, channel) if team else []
        if not found:
            results.append(
                {
                    "channel": channel,
                    "destinations": [],
                    "ok": False,
                    "detail": f"{team_name} has no {channel} destination",
                }
            )
            continue
        message = DeliveryMessage(
            delivery_id=f"dlv_test_{hashlib.sha256(now.encode()).hexdigest()[:12]}",
            channel=channel,
            team=team_name,
            destinations=found,
            rung=0,
            round=0,
            purpose="test",
            incident=incident,
        )
        result = _send(message, public_base_url)
        results.append(
            {
                "channel": channel,
                "destinations": shown_destinations(channel, found),
                "ok": result.ok,
                "detail": result.detail,
                "status_code": result.status_code,
            }
        )
    return results
