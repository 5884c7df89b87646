"""Paging: one SNS message per (ladder run, round, rung, team, channel) on NotificationsTopic;
each is delivered by its channel's function (services/paging/delivery.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from vigil.adapters import channels, stores
from vigil.domain.deliveries import DeliveryMessage
from vigil.domain.escalation import Rung
from vigil.domain.incidents import PAGE_FIELDS, StoredIncident
from vigil.domain.page_context import page_context
from vigil.domain.teams import Team, destinations
from vigil.observability import count
from vigil.services.paging.routing import channels_for
from vigil.services.timeline import add_timeline

__all__ = [
    "announce_resolved",
    "channels_for",
    "context_of",
    "delivery_id",
    "load_team",
    "page",
    "page_address",
    "reachable",
    "snapshot",
]

Context = dict[str, Any]  # the context of an incident's alerts (domain/page_context.py)


def load_team(name: str) -> Team | None:
    return stores.teams.find(name)


def reachable(team_name: str, wanted: list[str]) -> dict[str, list[str]]:
    """The destinations a page to this team would reach, per channel (empty: unreachable)."""
    team = load_team(team_name)
    return {c: destinations(team, c) if team else [] for c in wanted}


def delivery_id(run: str, round_: int, rung: int, team: str, channel: str, purpose: str) -> str:
    """One id per (ladder run, round, rung, team, channel, purpose): a redelivery never sends twice."""
    raw = "\x1f".join([run, str(round_), str(rung), team, channel, purpose])
    return f"dlv_{hashlib.sha256(raw.encode()).hexdigest()[:24]}"


def snapshot(incident: StoredIncident, context: Context | None = None) -> dict[str, Any]:
    """What a page carries of its incident, with the context of its alerts (see context_of)."""
    context = context or page_context([], incident.alert_count)
    return {f: getattr(incident, f) for f in PAGE_FIELDS} | {"context": context}


def context_of(incident: StoredIncident) -> Context:
    """Alert count, labels and links of the incident's alerts (one query), for the pages about to go."""
    alerts = sorted(stores.alerts.of_incident(incident.incident_id), key=lambda a: a.first_seen)
    return page_context([a.stored() for a in alerts], incident.alert_count)


def page(
    incident: StoredIncident,
    rung: Rung,
    context: Context,
    *,
    run: str,
    round_: int,
    purpose: str = "page",
    at: datetime | None = None,
) -> int:
    """Publish the deliveries of one rung to its teams, with the alerts' `context` (context_of);
    a team nobody can be reached at is a failed page. Its entries carry `at`: when the rung
    committed to paging (before an acknowledgement that races it), not when the publishing ended."""
    published = 0
    incident_id = incident.incident_id
    for team_name in rung.targets:
        found = {c: d for c, d in reachable(team_name, rung.channels).items() if d}
        if not found:
            _record_unreachable(incident_id, team_name, rung, f"{run}-{purpose}-{round_}")
            continue
        for channel, targets in found.items():
            _publish(
                incident,
                context,
                channel,
                targets,
                team=team_name,
                level=rung.level,
                run=run,
                round_=round_,
                purpose=purpose,
            )
            published += 1
        add_timeline(
            incident_id,
            "page",
            f"paged {team_name} by {', '.join(found)} (rung {rung.level})",
            data={"team": team_name, "channels": list(found), "rung": rung.level, "round": round_},
            entry_id=f"page-{run}-{purpose}-{round_}-{rung.level}-{team_name}",
            at=at,
        )
    return published


def page_address(incident: StoredIncident, channel: str, address: str, *, run: str, purpose: str) -> int:
    """Page one address (a person added as a responder) on one channel, once per ladder run."""
    context = context_of(incident)
    _publish(incident, context, channel, [address], team=address, level=0, run=run, round_=0, purpose=purpose)
    add_timeline(
        incident.incident_id,
        "page",
        f"paged {address} by {channel}",
        data={"address": address, "channels": [channel]},
        entry_id=f"page-{run}-{purpose}-{address}",
    )
    return 1


def announce_resolved(incident: StoredIncident) -> int:
    """The incident resolved by itself: tell each team that was paged for it, on the channels
    it was paged by, and each person paged by their own rules, on the contact method their
    first step used (once per resolve, whatever the retries). Who was paged is read from the
    incident's timeline: one query, however many were paged."""
    entries = stores.incidents.entries(incident.incident_id)
    paged, people = _paged_teams(entries), _paged_people(entries)
    if not paged and not people:
        return 0
    context = context_of(incident)
    run = f"{incident.incident_id}-resolved-{incident.resolved_at}"
    published = 0
    for team_name, used in sorted(paged.items()):
        for channel, targets in reachable(team_name, sorted(used)).items():
            if targets:
                _publish(
                    incident,
                    context,
                    channel,
                    targets,
                    team=team_name,
                    level=-1,
                    run=run,
                    round_=0,
                    purpose="resolved",
                )
                published += 1
    told = [
        f"user:{user_id}"
        for user_id in people
        if _tell_person(incident, context, user_id, people[user_id], run)
    ]
    add_timeline(
        incident.incident_id,
        "notification",
        f"told {', '.join([*sorted(paged), *told])} that the incident resolved at its source",
        data={"teams": sorted(paged), "users": told},
        entry_id=f"resolved-notice-{incident.resolved_at}",
    )
    return published + len(told)


def _paged_teams(entries: list[dict[str, Any]]) -> dict[str, set[str]]:
    paged: dict[str, set[str]] = {}
    for entry in entries:
        if entry.get("kind") == "page" and entry.get("data", {}).get("team"):
            paged.setdefault(entry["data"]["team"], set()).update(entry["data"].get("channels") or [])
    return paged


def _paged_people(entries: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """user id -> the contact method of the first step of the first page to them (targets.py)."""
    people: dict[str, dict[str, str]] = {}
    for entry in entries:
        data = entry.get("data") or {}
        if entry.get("kind") == "page" and data.get("user_id") and data.get("first"):
            people.setdefault(data["user_id"], data["first"])
    return people


def _tell_person(
    incident: StoredIncident, context: Context, user_id: str, first: dict[str, str], run: str
) -> bool:
    """One resolve notice on that contact method (its address as the person has it now; their
    email when they removed the method since). False when the person is gone."""
    person = stores.users.find(user_id)
    if person is None:
        return False
    method = next((m for m in person.contact_methods if m.id == first["contact_method_id"]), None)
    channel, address = (method.type, method.address) if method else ("email", person.email)
    _publish(
        incident,
        context,
        channel,
        [address],
        team=f"user:{user_id}",
        level=-1,
        run=run,
        round_=0,
        purpose="resolved",
    )
    return True


def _publish(
    incident: StoredIncident,
    context: Context,
    channel: str,
    targets: list[str],
    *,
    team: str,
    level: int,
    run: str,
    round_: int,
    purpose: str,
) -> None:
    message = DeliveryMessage(
        delivery_id=delivery_id(run, round_, level, team, channel, purpose),
        channel=channel,
        team=team,
        destinations=targets,
        rung=level,
        round=round_,
        purpose=purpose,
        incident=snapshot(incident, context),
    )
    channels.publish_notification(message.published(), channel)


def _record_unreachable(incident_id: str, team: str, rung: Rung, step: str) -> None:
    count("PagesFailed")
    add_timeline(
        incident_id,
        "page_failed",
        f"could not page {team}: no member or team channel for {', '.join(rung.channels) or 'any channel'}",
        data={"team": team, "channels": rung.channels, "rung": rung.level},
        entry_id=f"unreachable-{step}-{rung.level}-{team}",
    )
