"""Replay: the stored alerts of a period run through the domain twice, under the live
configuration and under a proposed one, reported against what actually happened. It reads
alerts, incidents and the configuration; it sends nothing and writes nothing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from vigil.adapters import stores
from vigil.domain.alerts import AlertStatus, NormalizedAlert, StoredAlert
from vigil.domain.clock import iso, parse_iso, utcnow
from vigil.domain.config_code import ConfigDocument, kept_overrides
from vigil.domain.errors import InvalidInput
from vigil.domain.escalation import EscalationPolicy
from vigil.domain.integrations import Integration, IntegrationSettings
from vigil.domain.oncall import DEFAULT_ID
from vigil.domain.replay import (
    IncidentKey,
    Outcome,
    ReplayedAlert,
    Rules,
    Source,
    first_page_after,
    replay,
    summary,
)
from vigil.domain.schedules import Schedule
from vigil.domain.silences import Silence
from vigil.domain.teams import Team
from vigil.services import config_code, incidents
from vigil.services.alerting import BUILTIN_ID, to_alert
from vigil.services.ingest import intake

MAX_ALERTS = 20_000
LISTED = 50  # incidents and alerts listed by name in a report


def replay_period(proposed: ConfigDocument, since: datetime, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    if since >= now:
        raise InvalidInput("since", "must be in the past")
    live, _ = config_code.export()
    merged = ConfigDocument.model_validate(
        live.model_dump() | proposed.model_dump(exclude_none=True, exclude_unset=True)
    )
    known = {i.integration_id: i for i in stores.integrations.all_stored()}
    alerts = stored_alerts(since, now, known)
    stops = actual_stops(since, now)

    def stop_of(key: IncidentKey) -> datetime | None:
        return stops.get(incidents.incident_id_for(key[0], iso(key[1])))

    current = replay(alerts, rules_of(live, now), sources_of(live, known), stop_of, now)
    changed = replay(alerts, rules_of(merged, now), sources_of(merged, known), stop_of, now)
    return report(current, changed, set(stops), since, now, len(alerts))


def report(
    current: Outcome, proposed: Outcome, actual: set[str], since: datetime, now: datetime, count: int
) -> dict[str, Any]:
    opened = {_id(i.key): i for i in proposed.incidents}
    return {
        "since": iso(since),
        "until": iso(now),
        "alerts": count,
        "actual": {"incidents": len(actual)},
        "current": summary(current),
        "proposed": summary(proposed),
        "incidents_not_opened": sorted(actual - opened.keys())[:LISTED],
        "incidents_newly_opened": sorted(opened.keys() - actual)[:LISTED],
        "alerts_no_longer_paging": sorted(current.paging_alerts - proposed.paging_alerts)[:LISTED],
        "incidents": [
            {
                "incident_id": incident_id,
                "title": incident.alert.title,
                "severity": incident.alert.severity.value,
                "team": incident.team,
                "opened_at": iso(incident.opened_at),
                "pages": len(incident.pages),
                "notifications": sum(len(page.notifications) for page in incident.pages),
                "first_page_after_seconds": first_page_after(incident),
            }
            for incident_id, incident in sorted(opened.items(), key=lambda kv: kv[1].opened_at)[:LISTED]
        ],
    }


def _id(key: IncidentKey) -> str:
    return incidents.incident_id_for(key[0], iso(key[1]))


# ----------------------------------------------------------------------------- reading what happened
def stored_alerts(since: datetime, now: datetime, known: dict[str, Integration]) -> list[ReplayedAlert]:
    """Alerts first seen in the period, each parsed again from its raw payload."""
    items = []
    for item in stores.alerts.first_seen_between((iso(since), iso(now))):
        items.append(item)
        if len(items) > MAX_ALERTS:
            raise InvalidInput("since", f"more than {MAX_ALERTS} alerts in the period; choose a shorter one")
    return to_replay(items, known)


def to_replay(stored: list[StoredAlert], known: dict[str, Integration]) -> list[ReplayedAlert]:
    """Stored alerts as replay takes them: parsed again, with their arrivals."""
    return [
        ReplayedAlert(
            alert_id=item.alert_id,
            integration_id=item.integration_id,
            alert=reparsed(item, known.get(item.integration_id)),
            arrivals=[_arrival(a) for a in item.arrivals],
        )
        for item in stored
        if item.arrivals
    ]


def _arrival(text: str) -> tuple[datetime, AlertStatus]:
    at, _, status = text.partition("|")
    return parse_iso(at), AlertStatus(status)


def reparsed(item: StoredAlert, integration: Integration | None) -> NormalizedAlert:
    """The alert parsed again from the payload it last arrived with; its stored fields when the
    payload no longer parses (or held other alerts)."""
    try:
        body = json.loads(item.raw_payload or "null")
        if integration is None or integration.integration_id == BUILTIN_ID:
            candidates = [to_alert(body)] if isinstance(body, dict) else []
        else:
            candidates = intake.parsed(integration.kind, integration.typed_settings(), body)
    except (ValueError, KeyError, TypeError, ValidationError, InvalidInput):
        candidates = []
    for alert in candidates:
        if alert.dedup_key == item.dedup_key:
            return alert
    return NormalizedAlert.model_validate({**item.stored(), "status": "firing"})


def actual_stops(since: datetime, now: datetime) -> dict[str, datetime]:
    """Each incident opened in the period, and when its pages stopped (acknowledged or ended)."""
    stops: dict[str, datetime] = {}
    for record in stores.incidents.created_between((iso(since), iso(now))):
        if not (record.opened_by or "").startswith("alert:"):
            continue
        stopped = record.acknowledged_at or record.resolved_at or record.closed_at
        stops[record.incident_id] = parse_iso(stopped) if stopped else now
    return stops


# ----------------------------------------------------------------------------- a configuration to replay
def rules_of(document: ConfigDocument, now: datetime) -> Rules:
    assert document.alerting_rules and document.assignment_rules and document.escalation_policy
    silences = [
        Silence(**s.model_dump(), silence_id=f"sil_replay{n}", created_by="replay", created_at="")
        for n, s in enumerate(document.silences or [])
    ]
    teams = {name: Team(name=name, **t.model_dump()) for name, t in (document.teams or {}).items()}
    policy = EscalationPolicy.model_validate(document.escalation_policy.model_dump())
    return Rules(
        document.alerting_rules,
        document.assignment_rules,
        policy,
        silences,
        teams,
        policies={
            policy_id: EscalationPolicy.model_validate(p.model_dump(exclude={"name"}))
            for policy_id, p in (document.escalation_policies or {}).items()
        },
        services={DEFAULT_ID: DEFAULT_ID}
        | {service_id: s.escalation_policy_id for service_id, s in (document.services or {}).items()},
        schedules=schedules_of(document, now),
        people=dict(document.users or {}),
    )


def schedules_of(document: ConfigDocument, now: datetime) -> dict[str, Schedule]:
    """The document's schedules with their overrides, and the live overrides that ended before
    `now` (documents leave those out; an ended override a proposal gives is replayed too)."""
    found = {}
    for schedule_id, schedule in (document.schedules or {}).items():
        live = stores.schedules.find(schedule_id)
        overrides = kept_overrides(live.overrides if live else [], list(schedule.overrides), now)
        found[schedule_id] = Schedule(
            time_zone=schedule.time_zone, layers=schedule.layers, overrides=overrides
        )
    return found


def sources_of(document: ConfigDocument, known: dict[str, Integration]) -> dict[str, Source]:
    """Each integration's replayed settings, and its service: the document's, when it has services."""
    by_name = {name: c.settings for name, c in (document.integrations or {}).items()}
    service_of = {
        i: service_id for service_id, s in (document.services or {}).items() for i in s.integrations
    }
    found = {
        integration_id: _source(
            by_name.get(integration.name) or integration.typed_settings(),
            service_of.get(integration_id) if document.services is not None else integration.service_id,
        )
        for integration_id, integration in known.items()
    }
    unstored = service_of.keys() - found.keys()  # the built-in integration has no stored settings
    return found | {i: _source(IntegrationSettings(), service_of[i]) for i in unstored}


def _source(settings: IntegrationSettings, service_id: str | None) -> Source:
    fields = set(Source.model_fields) - {"service_id"}
    return Source.model_validate(settings.model_dump(include=fields) | {"service_id": service_id})
