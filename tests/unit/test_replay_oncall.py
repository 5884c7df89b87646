"""Replay under a proposal that silences one service and moves another to a policy paging a
schedule then a person: pages per person match a direct count from the schedule domain
(`on_call_at` at each page's moment), and hours and nights are each person's own. A person's
notification rules run, for the incident's urgency, until it is acknowledged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.escalation import EscalationPolicy
from vigil.domain.incidents import AssignmentRules
from vigil.domain.people import PersonIn
from vigil.domain.replay import NIGHT_HOURS, IncidentKey, ReplayedAlert, Rules, Source, replay, summary
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


def traffic() -> list[ReplayedAlert]:
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
        alerts.append(ReplayedAlert(alert_id=f"alt{n}", integration_id=integration_id, alert=alert,
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


def direct_pages(alerts: list[ReplayedAlert]) -> list[tuple[str, datetime]]:
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


# ----------------------------------------------------------------------------- personal notification rules
SMS_THEN_EMAIL = {"contact_type": "sms", "after_minutes": 0}, {"contact_type": "email", "after_minutes": 5}
ASHA_METHODS = [
    {"id": "mobile", "type": "sms", "address": "+919812345678"},
    {"id": "work", "type": "email", "address": "asha@example.com"},
]
ACK_AFTER = timedelta(minutes=10)


def people_with_rules(methods: list[dict[str, str]] = ASHA_METHODS, **rules: Any) -> dict[str, PersonIn]:
    """PEOPLE, with Asha's contact methods and the notification rules given (by urgency)."""
    asha = PEOPLE["asha"].model_dump() | {"contact_methods": methods, "notification_rules": rules}
    return {**PEOPLE, "asha": PersonIn.model_validate(asha)}


def acknowledged_after(delay: timedelta) -> Callable[[IncidentKey], datetime]:
    return lambda key: key[1] + delay


def test_a_persons_rules_run_until_the_incident_is_acknowledged() -> None:
    """Asha's rules are SMS at once, email 5 minutes later; every incident is acknowledged after
    10 minutes: each of her pages is 2 notifications, each counted at night on her own clock; the
    lead's rung (30 minutes) never comes."""
    alerts = traffic()
    people = people_with_rules(low=list(SMS_THEN_EMAIL), high=list(SMS_THEN_EMAIL))
    replayed = replay(
        alerts, replace(rules(True), people=people), sources(), acknowledged_after(ACK_AFTER), UNTIL
    )
    counted = summary(replayed)["pages_by_person"]

    asha_pages = [at for who, at in direct_pages(alerts) if who == "asha"]
    sent = [moment for at in asha_pages for moment in (at, at + timedelta(minutes=5))]
    assert counted["asha"]["pages"] == len(asha_pages) > 0
    assert counted["asha"]["notifications"] == len(sent) == 2 * len(asha_pages)
    assert counted["asha"]["by_method"] == {"sms": len(asha_pages), "email": len(asha_pages)}
    nights = sum(local_hour("asha", at) in NIGHT_HOURS for at in sent)
    assert counted["asha"]["night_notifications"] == nights
    noah_pages = sum(who == "noah" for who, _ in direct_pages(alerts))
    assert counted["noah"]["notifications"] == counted["noah"]["pages"] == noah_pages  # no rules: one email
    assert counted["noah"]["by_method"] == {"email": noah_pages}
    assert "lead" not in counted


def one_alert_at(
    at: datetime, severity: str = "medium", integration_id: str = "int_pay"
) -> list[ReplayedAlert]:
    alert = NormalizedAlert(source="test", dedup_key="one", status=AlertStatus.FIRING, title="one",
                            severity=severity, labels={"service": "payments"})  # fmt: skip
    return [ReplayedAlert(alert_id="alt_one", integration_id=integration_id, alert=alert,
                        arrivals=[(at, AlertStatus.FIRING)])]  # fmt: skip


PAGE_ASHA = EscalationPolicy(rules=[], fallback_target=None, targets=["user:asha"])
BEFORE_NIGHT_IN_KOLKATA = datetime(2026, 3, 4, 16, 27, tzinfo=UTC)  # 21:57 there; 22:02 five minutes on


@pytest.mark.parametrize(
    ("acknowledged", "notifications", "nights"),
    [(ACK_AFTER, 2, 1), (timedelta(minutes=3), 1, 0), (timedelta(minutes=5), 1, 0), (None, 2, 1)],
)
def test_the_email_at_five_minutes_is_at_night_when_the_sms_was_not(
    acknowledged: timedelta | None, notifications: int, nights: int
) -> None:
    """SMS at 21:57 in Kolkata, email at 22:02: one page, not at night; its second notification
    is, if the incident was still unacknowledged 5 minutes after the page."""
    people = people_with_rules(low=list(SMS_THEN_EMAIL))
    asha_paged = replace(rules(False), policy=PAGE_ASHA, people=people)
    stops = acknowledged_after(acknowledged) if acknowledged else lambda key: None
    counted = summary(replay(one_alert_at(BEFORE_NIGHT_IN_KOLKATA), asha_paged, {}, stops, UNTIL))

    asha = counted["pages_by_person"]["asha"]
    assert (asha["pages"], asha["night_pages"]) == (1, 0)
    assert (asha["notifications"], asha["night_notifications"]) == (notifications, nights)
    assert (counted["notifications"], counted["night_notifications"]) == (notifications, nights)


def test_rules_follow_the_incidents_urgency() -> None:
    """High urgency (critical): SMS at once, SMS again at 2 minutes, email at 4; low (medium):
    email at once. A Slack step is skipped as the live path skips it; a person without rules for
    an urgency is emailed once."""
    high = [
        {"contact_method_id": "mobile", "after_minutes": 0},
        {"contact_type": "slack", "after_minutes": 0},
        {"contact_method_id": "mobile", "after_minutes": 2},
        {"contact_method_id": "work", "after_minutes": 4},
    ]
    slack = {"id": "chat", "type": "slack", "address": "U024BE7LH"}
    low = [{"contact_method_id": "work", "after_minutes": 0}]
    asha_paged = replace(
        rules(False), policy=PAGE_ASHA, people=people_with_rules([*ASHA_METHODS, slack], high=high, low=low)
    )
    stops = acknowledged_after(ACK_AFTER)

    def methods(severity: str, configured: Rules = asha_paged) -> dict[str, int]:
        outcome = replay(one_alert_at(START, severity), configured, {}, stops, UNTIL)
        return dict(summary(outcome)["pages_by_person"]["asha"]["by_method"])

    assert methods("critical") == {"sms": 2, "email": 1}
    assert methods("medium") == {"email": 1}
    assert methods("critical", replace(asha_paged, people=PEOPLE)) == {"email": 1}


def test_team_members_are_notified_once_per_contact_method_on_the_rungs_channels() -> None:
    """Team pages send at once: a member with an email and an SMS method, paged on email only,
    gets one email."""
    olga = OPS.members[0].model_dump()
    olga["contact_methods"].append({"type": "sms", "address": "+15551234567"})
    ops = Team.model_validate({"name": "ops", "members": [olga]})
    outcome = replay(one_alert_at(START, integration_id="int_web"), replace(rules(False), teams={"ops": ops}),
                     sources(), lambda key: None, UNTIL)  # fmt: skip
    olga_counts = summary(outcome)["pages_by_person"]["Olga"]
    assert olga_counts["pages"] == olga_counts["notifications"] == 1
    assert olga_counts["by_method"] == {"email": 1}
