"""Paging: fan-out of one SNS message per (incident, round, rung, team, channel), and the
delivery of each, exactly once, through a ledger keyed by the delivery id."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from vigil.adapters import channels, dynamo
from vigil.adapters.signing import signing_keys
from vigil.adapters.templates import default_source, render
from vigil.domain.clock import iso, utcnow
from vigil.domain.escalation import Rung
from vigil.domain.messages import canonical_json, signature_header, slack_message, sms_text, webhook_event
from vigil.domain.teams import Team, destinations
from vigil.observability import count, logger
from vigil.services import incidents, routing

MAX_ATTEMPTS = 5  # the queues' maxReceiveCount: the last try before the dead-letter queue
LEASE_SECONDS = 60


class DeliveryFailed(Exception):
    """The delivery failed and should be retried by the queue."""


def channels_for(incident: dict[str, Any]) -> list[str]:
    return routing.load_alerting_rules().channels(incident["severity"], incident.get("category"))


def load_team(name: str) -> Team | None:
    item = dynamo.get(f"TEAM#{name}", "META")
    return Team.model_validate(item["team"]) if item else None


def reachable(team_name: str, wanted: list[str]) -> dict[str, list[str]]:
    """The destinations a page to this team would reach, per channel (empty: unreachable)."""
    team = load_team(team_name)
    return {c: destinations(team, c) if team else [] for c in wanted}


def delivery_id(run: str, round_: int, rung: int, team: str, channel: str, purpose: str) -> str:
    """One id per (ladder run, round, rung, team, channel, purpose): a redelivery never sends twice."""
    raw = "\x1f".join([run, str(round_), str(rung), team, channel, purpose])
    return f"dlv_{hashlib.sha256(raw.encode()).hexdigest()[:24]}"


def snapshot(incident: dict[str, Any]) -> dict[str, Any]:
    fields = (
        "incident_id",
        "title",
        "description",
        "severity",
        "category",
        "status",
        "assigned_team",
        "created_at",
        "source",
    )
    return {f: incident.get(f) for f in fields}


def page(incident: dict[str, Any], rung: Rung, *, run: str, round_: int, purpose: str = "page") -> int:
    """Publish the deliveries of one rung; a team nobody can be reached at is a failed page."""
    published = 0
    incident_id = incident["incident_id"]
    for team_name in rung.targets:
        found = {c: d for c, d in reachable(team_name, rung.channels).items() if d}
        if not found:
            _record_unreachable(incident_id, team_name, rung, f"{run}-{purpose}-{round_}")
            continue
        for channel, targets in found.items():
            message = {
                "delivery_id": delivery_id(run, round_, rung.level, team_name, channel, purpose),
                "channel": channel,
                "team": team_name,
                "destinations": targets,
                "rung": rung.level,
                "round": round_,
                "purpose": purpose,
                "incident": snapshot(incident),
            }
            channels.publish_notification(message, channel)
            published += 1
        incidents.add_timeline(
            incident_id,
            "page",
            f"paged {team_name} by {', '.join(found)} (rung {rung.level})",
            data={"team": team_name, "channels": list(found), "rung": rung.level, "round": round_},
            entry_id=f"page-{run}-{purpose}-{round_}-{rung.level}-{team_name}",
        )
    return published


def _record_unreachable(incident_id: str, team: str, rung: Rung, step: str) -> None:
    count("PagesFailed")
    incidents.add_timeline(
        incident_id,
        "page_failed",
        f"could not page {team}: no member or team channel for {', '.join(rung.channels) or 'any channel'}",
        data={"team": team, "channels": rung.channels, "rung": rung.level},
        entry_id=f"unreachable-{step}-{rung.level}-{team}",
    )


# ----------------------------------------------------------------------------- delivery
def deliver(message: dict[str, Any], attempt: int) -> str:
    """Send one delivery unless the ledger says it was sent. Returns sent / duplicate.
    Raises DeliveryFailed to have the queue retry; the last failure is recorded as final."""
    delivery = message["delivery_id"]
    if not _claim(delivery, message):
        count("DeliveriesDeduplicated")
        return "duplicate"
    try:
        detail = _send(message)
    except Exception as error:
        _finish(delivery, "failed", str(error)[:500])
        final = attempt >= MAX_ATTEMPTS
        _record_failure(message, str(error), attempt, final)
        raise DeliveryFailed(str(error)) from error
    _finish(delivery, "sent", detail)
    count("DeliveriesSent")
    incidents.add_timeline(
        message["incident"]["incident_id"],
        "notified",
        f"{message['channel']} to {message['team']} delivered "
        f"({len(message['destinations'])} destination(s))",
        data={"delivery_id": delivery, "channel": message["channel"], "team": message["team"]},
        entry_id=f"notified-{delivery}",
    )
    return "sent"


def _claim(delivery: str, message: dict[str, Any]) -> bool:
    now = utcnow()
    try:
        dynamo.update(
            f"DELIVERY#{delivery}",
            "DELIVERY",
            "SET #s = :sending, lease_until = :lease, channel = :channel, incident_id = :incident, "
            "updated_at = :now, expires_at = :expires ADD attempts :one",
            {
                ":sending": "sending",
                ":lease": iso(now + timedelta(seconds=LEASE_SECONDS)),
                ":now": iso(now),
                ":failed": "failed",
                ":channel": message["channel"],
                ":one": 1,
                ":incident": message["incident"]["incident_id"],
                ":expires": int((now + timedelta(days=30)).timestamp()),
            },
            names={"#s": "status"},
            condition="attribute_not_exists(pk) OR #s = :failed OR (#s = :sending AND lease_until < :now)",
        )
    except Exception as error:
        if dynamo.is_conditional_failure(error):
            return False
        raise
    return True


def _finish(delivery: str, status: str, detail: str) -> None:
    dynamo.update(
        f"DELIVERY#{delivery}",
        "DELIVERY",
        "SET #s = :s, detail = :d, updated_at = :now",
        {":s": status, ":d": detail, ":now": iso(utcnow())},
        names={"#s": "status"},
    )


def _record_failure(message: dict[str, Any], error: str, attempt: int, final: bool) -> None:
    count("DeliveriesFailed")
    logger.warning("delivery failed", extra={"delivery_id": message["delivery_id"], "attempt": attempt})
    if not final:
        return
    count("DeliveriesAbandoned")
    incidents.add_timeline(
        message["incident"]["incident_id"],
        "delivery_failed",
        f"{message['channel']} to {message['team']} failed after {attempt} attempts: {error[:200]}",
        data={"delivery_id": message["delivery_id"], "channel": message["channel"], "attempts": attempt},
        entry_id=f"abandoned-{message['delivery_id']}",
    )


def _send(message: dict[str, Any]) -> str:
    incident, channel = message["incident"], message["channel"]
    if channel == "email":
        context = {"incident": incident, "links": {"acknowledge": None, "resolve": None}}
        subject = render(default_source("email_subject"), context)
        html = render(default_source("email_html"), context, html=True)
        text = render(default_source("email_text"), context)
        return channels.send_email(message["destinations"], subject, html, text)
    if channel == "sms":
        return ", ".join(channels.send_sms(phone, sms_text(incident)) for phone in message["destinations"])
    body = canonical_json(slack_message(incident) if channel == "slack" else webhook_event(message))
    headers = {"X-Vigil-Delivery": message["delivery_id"]}
    if channel == "webhook":
        headers["X-Vigil-Signature"] = signature_header(body, signing_keys())
    results = []
    for url in message["destinations"]:
        result = channels.post(url, body, headers, channel=channel)
        if not result.ok:
            raise RuntimeError(f"{url} answered {result.status or result.error}")
        results.append(str(result.status))
    return ", ".join(results)
