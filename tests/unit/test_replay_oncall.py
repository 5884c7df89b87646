"""Replay under a proposal that silences one service and moves another to a policy paging a
schedule then a person: pages per person match a direct count from the schedule domain
(`on_call_at` at each page's moment), and hours and nights are each person's own."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.escalation import EscalationPolicy
from vigil.domain.incidents import AssignmentRules
from vigil.domain.people import PersonIn
from vigil.domain.replay import NIGHT_HOURS, Rules, Source, StoredAlert, replay, summary
from vigil.domain.schedules import Schedule, on_call_at
from vigil.domain.silences import Silence
from vigil.domain.teams import AlertingRules, Team

START = datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = START + timedelta(days=7)
ZONES = {"asha": "Asia/Kolkata", "noah": "America/New_York", "lead": "UTC"}
PEOPLE = {
    user_id: PersonIn(name=user_id.title(), email=f"{user_id}@example.com", time_zone=zone)
    for user_id, zone in ZONES.items()
}
SCHEDULE = Schedule.model_validate(
    {
        "time_zone": "Europe/London",
        "layers": [
            {
                "participants": ["asha", "noah"],
                "rotation": "daily",
                "handoff_time": "09:00",
                "start": "2026-02-23T09:00:00Z",
            }
        ],
    }
)
OPS = Team.model_validate(
    {
        "name": "ops",
        "members": [{"name": "Olga", "contact_methods": [{"type": "email", "address": "o@x.io"}]}],
    }
)
INTEGRATIONS = {"int_pay": "payments", "int_search": "search", "int_web": "web"}
ESCALATE_AFTER = timedelta(minutes=30)
GLOBAL = EscalationPolicy(rules=[], fallback_target=None)
SCHEDULED = EscalationPolicy.model_validate(
    {
        "targets": ["schedule:primary"],
        "fallback_target": None,
        "rules": [
            {"escalation_level": 1, "escalate_to": "user:lead", "escalate_after_seconds": 1800,
             "notification_channels": ["email"]},
        ],
    }
)  # fmt: skip
SEARCH_SILENCED = Silence.model_validate(
    {"matchers": [{"name": "labels.service", "value": "search"}], "starts_at": START, "ends_at": UNTIL,
     "comment": "search is rebuilt", "silence_id": "sil_1", "created_by": "test", "created_at": ""}
)  # fmt: skip


def traffic() -> list[StoredAlert]:
    """An alert every 97 minutes for a week, round robin over the three integrations; every
    fifth web alert is critical, which the proposal's assignment rules send to payments."""
    alerts = []
    for n in range(7 * 24 * 60 // 97):
        integration_id = list(INTEGRATIONS)[n % 3]
        service = INTEGRATIONS[integration_id]
        severity = "critical" if service == "web" and n % 5 == 0 else "medium"
        alert = NormalizedAlert(
            source="test",
            dedup_key=f"a{n}",
            status=AlertStatus.FIRING,
            title=f"alert {n}",
            severity=severity,
            labels={"service": service},
        )
        at = START + timedelta(minutes=97 * n)
        alerts.append(StoredAlert(alert_id=f"alt{n}", integration_id=integration_id, alert=alert,
                                  arrivals=[(at, AlertStatus.FIRING)]))  # fmt: skip
    return alerts


def sources() -> dict[str, Source]:
    return {i: Source(service_id=service) for i, service in INTEGRATIONS.items()}


def rules(proposed: bool) -> Rules:
    by_severity = {"critical": "service:payments"} if proposed else {}
    assignment = AssignmentRules.model_validate(
        {"by_severity": by_severity, "by_category": {}, "default_team": "ops"}
    )
    return Rules(
        AlertingRules(),
        assignment,
        GLOBAL,
        [SEARCH_SILENCED] if proposed else [],
        {"ops": OPS},
        policies={"sched": SCHEDULED},
        services={"payments": "sched" if proposed else "default", "search": "default", "web": "default"},
        schedules={"primary": SCHEDULE},
        people=PEOPLE,
    )


def direct_pages(alerts: list[StoredAlert]) -> list[tuple[str, datetime]]:
    """(who, when) of every page: payments (and critical web) page whoever the schedule has on
    call, then the lead 30 minutes later; other web alerts page the ops team; search is silenced."""
    found = []
    for stored in alerts:
        service, at = stored.alert.labels["service"], stored.arrivals[0][0]
        if service == "search":
            continue
        if service == "web" and stored.alert.severity.value != "critical":
            found.append(("Olga", at))
            continue
        shift = on_call_at(SCHEDULE, at)
        assert shift is not None
        found += [
            (who, when) for who, when in ((shift.user_id, at), ("lead", at + ESCALATE_AFTER)) if when < UNTIL
        ]
    return found


def local_hour(who: str, at: datetime) -> int:
    return at.astimezone(ZoneInfo(ZONES.get(who, "UTC"))).hour


def test_replayed_pages_follow_services_schedules_and_people() -> None:
    alerts = traffic()
    current = summary(replay(alerts, rules(False), sources(), lambda key: None, UNTIL))
    proposed = summary(replay(alerts, rules(True), sources(), lambda key: None, UNTIL))
    pages = direct_pages(alerts)

    assert current["pages_by_person"].keys() == {"Olga"}
    assert current["incidents"] == len(alerts)
    assert {p: v["pages"] for p, v in proposed["pages_by_person"].items()} == Counter(who for who, _ in pages)
    nights = Counter(who for who, at in pages if local_hour(who, at) in NIGHT_HOURS)
    assert {p: v["night_pages"] for p, v in proposed["pages_by_person"].items() if v["night_pages"]} == nights
    assert proposed["silenced_arrivals"] == sum(a.alert.labels["service"] == "search" for a in alerts)
    assert {"asha", "noah", "lead"} <= proposed["pages_by_person"].keys()


def test_hours_and_nights_are_the_persons_own_not_utc() -> None:
    alerts = traffic()
    proposed = summary(replay(alerts, rules(True), sources(), lambda key: None, UNTIL))
    for user_id in ("asha", "noah"):
        times = [at for who, at in direct_pages(alerts) if who == user_id]
        replayed = proposed["pages_by_person"][user_id]
        assert replayed["by_hour"] == {
            f"{h:02d}": n for h, n in sorted(Counter(local_hour(user_id, at) for at in times).items())
        }
        utc_nights = sum(at.hour in NIGHT_HOURS for at in times)
        assert replayed["night_pages"] != utc_nights, f"{user_id}'s nights must differ from UTC's here"
