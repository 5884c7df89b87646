"""Replay of 10,000 stored alerts beside parsing their raw payloads alone (issue 19's budget:
under 10x). Both run in-process on the same items as the alert store returns them, so the
ratio is the cost of replay's own work (parse again, dedup, grouping, silences, routing, the
ladder of every incident, twice: live and proposed), not of reading the table. The proposal
also moves the integration's service to a policy paging a schedule, then a person, each person
in their own time zone, one of them with rules of her own (SMS at once, email 5 minutes later)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from vigil.domain.alerts import StoredAlert
from vigil.domain.clock import iso
from vigil.domain.escalation import EscalationPolicy, default_policy
from vigil.domain.incidents import AssignmentRules
from vigil.domain.integrations import Integration, IntegrationSettings
from vigil.domain.people import PersonIn
from vigil.domain.replay import Rules, Source, replay, summary
from vigil.domain.schedules import Schedule
from vigil.domain.silences import Silence
from vigil.domain.teams import AlertingRules, Team
from vigil.services import replay as replay_service
from vigil.services.ingest import intake

ALERTS = 10_000
SERVICES = 40
START = datetime(2026, 3, 2, tzinfo=UTC)
INTEGRATION = Integration(
    integration_id="int_bench",
    name="bench",
    kind="alertmanager",
    created_at="",
    updated_at="",
    token_prefix="",
)


def stored_items(count: int = ALERTS) -> list[StoredAlert]:
    """A week of Alertmanager alerts: each fires, repeats once, and resolves an hour later."""
    items = []
    for n in range(count):
        at = START + timedelta(seconds=n * 7 * 24 * 3600 // count)
        labels = {"alertname": f"Check{n % 97}", "service": f"svc-{n % SERVICES}", "instance": f"host-{n}"}
        alert = {
            "status": "firing",
            "labels": labels,
            "annotations": {"summary": f"check {n} failing"},
            "startsAt": iso(at),
            "fingerprint": f"{n:016x}",
        }
        body = {
            "version": "4",
            "status": "firing",
            "receiver": "vigil",
            "groupKey": f"{{}}:{labels['service']}",
            "alerts": [alert],
            "commonLabels": labels,
        }
        parsed = intake.parsed("alertmanager", IntegrationSettings(), body)[0]
        arrivals = [
            f"{iso(at)}|firing",
            f"{iso(at + timedelta(minutes=5))}|firing",
            f"{iso(at + timedelta(hours=1))}|resolved",
        ]
        items.append(
            StoredAlert.model_validate(
                {
                    **parsed.model_dump(mode="json"),
                    "alert_id": f"alr_{n:024x}",
                    "integration_id": "int_bench",
                    "raw_payload": json.dumps(body),
                    "arrivals": arrivals,
                    "occurrences": 2,
                    "first_seen": arrivals[0].partition("|")[0],
                    "last_seen": arrivals[-1].partition("|")[0],
                }
            )
        )
    return items


def rules(silenced_service: str | None) -> Rules:
    teams = {
        name: Team.model_validate(
            {
                "name": name,
                "members": [
                    {
                        "name": f"{name} person",
                        "contact_methods": [{"type": "email", "address": f"{name}@example.com"}],
                    }
                ],
            }
        )
        for name in ("on_call_engineer", "platform_team", "senior_engineers", "emergency_team")
    }
    silences = []
    if silenced_service:
        silences = [
            Silence.model_validate(
                {
                    "matchers": [{"name": "labels.service", "value": silenced_service}],
                    "starts_at": START,
                    "ends_at": START + timedelta(days=8),
                    "comment": "bench",
                    "silence_id": "sil_bench",
                    "created_by": "bench",
                    "created_at": "",
                }
            )
        ]
    return Rules(AlertingRules(), AssignmentRules(), default_policy(), silences, teams, **ON_CALL)


ZONES = {"asha": "Asia/Kolkata", "noah": "America/New_York", "lead": "UTC"}
ASHA = PersonIn.model_validate(  # her own rules: SMS at once, email 5 minutes later
    {
        "name": "asha",
        "email": "asha@example.com",
        "time_zone": ZONES["asha"],
        "contact_methods": [
            {"id": "mobile", "type": "sms", "address": "+919812345678"},
            {"id": "work", "type": "email", "address": "asha@example.com"},
        ],
        "notification_rules": {
            urgency: [
                {"contact_method_id": "mobile", "after_minutes": 0},
                {"contact_type": "email", "after_minutes": 5},
            ]
            for urgency in ("high", "low")
        },
    }
)
ON_CALL: dict[str, Any] = {
    "policies": {
        "sched": EscalationPolicy.model_validate(
            {
                "targets": ["schedule:primary"],
                "rules": [{"escalation_level": 1, "escalate_to": "user:lead", "escalate_after_minutes": 30}],
            }
        )
    },
    "services": {"svc_bench": "default", "svc_moved": "sched"},
    "schedules": {
        "primary": Schedule.model_validate(
            {
                "time_zone": "Europe/London",
                "layers": [
                    {
                        "participants": ["asha", "noah"],
                        "rotation": "daily",
                        "handoff_time": "09:00",
                        "start": iso(START - timedelta(days=7)),
                    }
                ],
            }
        )
    },
    "people": {u: PersonIn(name=u, email=f"{u}@example.com", time_zone=z) for u, z in ZONES.items()}
    | {"asha": ASHA},
}


def parse_alone(items: list[StoredAlert]) -> int:
    settings = INTEGRATION.typed_settings()
    return sum(len(intake.parsed("alertmanager", settings, json.loads(i.raw_payload or ""))) for i in items)


def replay_all(items: list[StoredAlert]) -> dict[str, Any]:
    alerts = replay_service.to_replay(items, {"int_bench": INTEGRATION})
    until = START + timedelta(days=8)
    live = {"int_bench": Source(service_id="svc_bench")}
    moved = {"int_bench": Source(service_id="svc_moved")}
    current = replay(alerts, rules(None), live, lambda key: None, until)
    proposed = replay(alerts, rules("svc-3"), moved, lambda key: None, until)
    return {"current": summary(current), "proposed": summary(proposed)}


def _seconds(run: Any, items: list[StoredAlert], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run(items)
        times.append(time.perf_counter() - started)
    return median(times)


def measure(count: int = ALERTS, repeat: int = 3) -> dict[str, Any]:
    items = stored_items(count)
    report = replay_all(items)
    parse = _seconds(parse_alone, items, repeat)
    replayed = _seconds(replay_all, items, repeat)
    return {
        "alerts": count,
        "arrivals": sum(len(i.arrivals) for i in items),
        "parse_seconds": round(parse, 3),
        "replay_seconds": round(replayed, 3),
        "ratio": round(replayed / parse, 2),
        "within_budget": replayed / parse < 10,
        "incidents": report["current"]["incidents"],
        "pages_current": report["current"]["pages"],
        "pages_proposed": report["proposed"]["pages"],
        "notifications_proposed": report["proposed"]["notifications"],
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
