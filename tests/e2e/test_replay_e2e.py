"""Replay on the local runtime: traffic recorded through the real ingestion path, replayed under
a proposal that silences one service and moves another to a different team; the report's pages
are checked against a count made directly with the domain, and nothing is written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from vigil.domain.incidents import AssignmentRules
from vigil.domain.replay import NIGHT_HOURS, is_night, pages_to
from vigil.domain.schedules import Schedule, on_call_at
from vigil.domain.teams import Team
from vigil.services.alerting import BUILTIN_ID

from tests.helpers.client import ApiClient

TEAMS = {
    "rp_alpha": {
        "members": [
            {"name": "Ada", "contact_methods": [{"type": "email", "address": "ada@example.com"}]},
            {"name": "Bob", "contact_methods": [{"type": "email", "address": "bob@example.com"}]},
        ]
    },
    "rp_beta": {
        "members": [{"name": "Cy", "contact_methods": [{"type": "email", "address": "cy@example.com"}]}]
    },
}
# service -> category; medium alerts are assigned by category
SERVICES = {"checkout": "database", "search": "network", "mail": "network"}
LIVE_ASSIGNMENT = {"by_severity": {}, "by_category": {"database": "rp_alpha", "network": "rp_alpha"}}
MOVED_ASSIGNMENT = {"by_severity": {}, "by_category": {"database": "rp_alpha", "network": "rp_beta"}}


@pytest.fixture
def live_config(api: ApiClient) -> Iterator[dict[str, Any]]:
    before = api.get("/api/config").body
    config = {
        "teams": {**before["config"]["teams"], **TEAMS},
        "assignment_rules": LIVE_ASSIGNMENT | {"default_team": "rp_alpha"},
        "escalation_policy": {"rules": [], "fallback_target": None},
    }
    reply = api.post("/api/config/apply", {"version": before["version"], "config": config})
    assert reply.status == 200, reply.body
    yield api.get("/api/config").body
    now = api.get("/api/config").body
    assert (
        api.post("/api/config/apply", {"version": now["version"], "config": before["config"]}).status == 200
    )


def send(api: ApiClient, service: str, n: int, status: str = "firing", run: str = "") -> dict[str, Any]:
    alert = {"title": f"replay{run} {service} {n}", "severity": "medium", "category": SERVICES[service],
             "source": "replay-test", "labels": {"service": service}, "status": status}  # fmt: skip
    reply = api.post("/api/alerting/send", alert)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def record_traffic(api: ApiClient, run: str = "") -> list[dict[str, Any]]:
    """Three alerts per service, each sent twice (a duplicate); one resolves and fires again.
    Each `run` sends alerts of its own."""
    sent = []
    for service in SERVICES:
        for n in range(3):
            sent.append(send(api, service, n, run=run))
            assert send(api, service, n, run=run)["action"] == "duplicate"
    send(api, "checkout", 0, "resolved", run)
    sent.append(send(api, "checkout", 0, run=run))
    assert sent[-1]["action"] == "opened" and sent[-1]["incident_id"] != sent[0]["incident_id"]
    return sent


def test_replay_reports_pages_per_person_as_the_domain_counts_them(
    api: ApiClient, live_config: dict[str, Any]
) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    sent = record_traffic(api)
    proposed = {
        "assignment_rules": MOVED_ASSIGNMENT | {"default_team": "rp_alpha"},
        "silences": [
            {
                "matchers": [{"name": "labels.service", "value": "search"}],
                "starts_at": "2020-01-01T00:00:00Z",
                "ends_at": "2099-01-01T00:00:00Z",
                "comment": "search is being rebuilt",
            }
        ],
    }
    before = api.get("/api/config").body
    reply = api.post("/api/replay", {"config": proposed, "since": since})
    assert reply.status == 200, reply.body
    report = reply.body
    assert api.get("/api/config").body == before, "a replay changes nothing"

    alerts = {a["alert_id"]: a for a in (api.get(f"/api/alerting/{s['alert_id']}").body for s in sent)}
    opened_at = {s["incident_id"]: api.incident(s["incident_id"])["created_at"] for s in sent}
    expected = direct_count(sent, alerts, opened_at, silenced_service="search")
    assert report["alerts"] == len(alerts) == 9
    assert report["actual"]["incidents"] == 10
    assert report["current"]["incidents"] == 10 and report["proposed"]["incidents"] == 7
    assert {p: v["pages"] for p, v in report["proposed"]["pages_by_person"].items()} == expected["pages"]
    assert {p: v["night_pages"] for p, v in report["proposed"]["pages_by_person"].items()} == expected[
        "night"
    ]
    assert report["proposed"]["pages_by_team"] == {"rp_alpha": 4 * 2, "rp_beta": 3}
    assert report["current"]["pages_by_team"] == {"rp_alpha": 10 * 2}
    assert report["proposed"]["silenced_arrivals"] == 6  # three search alerts, each sent twice

    search = {s["incident_id"] for s in sent if "search" in alerts[s["alert_id"]]["title"]}
    assert set(report["incidents_not_opened"]) == search
    assert report["incidents_newly_opened"] == []
    assert set(report["alerts_no_longer_paging"]) == {
        s["alert_id"] for s in sent if s["incident_id"] in search
    }
    assert all(i["first_page_after_seconds"] == 0 for i in report["incidents"])


def direct_count(
    sent: list[dict[str, Any]], alerts: dict[str, Any], opened_at: dict[str, str], silenced_service: str
) -> dict[str, Counter[str]]:
    """Each opened incident pages its assigned team once (the policy has no further rungs)."""
    rules = AssignmentRules.model_validate(MOVED_ASSIGNMENT | {"default_team": "rp_alpha"})
    pages: Counter[str] = Counter()
    night: Counter[str] = Counter()
    for opened in sent:
        alert = alerts[opened["alert_id"]]
        if alert["labels"]["service"] == silenced_service:
            continue
        name = rules.assign("medium", alert["category"])
        at = datetime.fromisoformat(opened_at[opened["incident_id"]].replace("Z", "+00:00"))
        for page in pages_to(Team(name=name, **TEAMS[name]), ["email", "webhook"], at):
            pages[page.person] += 1
            night[page.person] += is_night(page)
    return {"pages": pages, "night": night}


ZONES = {"rp_asha": "Asia/Kolkata", "rp_noah": "America/New_York"}
SEARCH_SILENCE = {
    "matchers": [{"name": "labels.service", "value": "search"}],
    "starts_at": "2020-01-01T00:00:00Z",
    "ends_at": "2099-01-01T00:00:00Z",
    "comment": "search is being rebuilt",
}


ASHA = {  # SMS at once, email 5 minutes later (the replay runs before that comes due)
    "name": "rp_asha",
    "email": "rp_asha@example.com",
    "time_zone": ZONES["rp_asha"],
    "contact_methods": [
        {"id": "mobile", "type": "sms", "address": "+919812345678"},
        {"id": "work", "type": "email", "address": "rp_asha@example.com"},
    ],
    "notification_rules": {
        "low": [
            {"contact_method_id": "mobile", "after_minutes": 0},
            {"contact_type": "email", "after_minutes": 5},
        ]
    },
}
METHOD_OF = {"rp_asha": "sms", "rp_noah": "email"}  # rp_noah has no rules: one email per page


def on_call_proposal(start: datetime) -> dict[str, Any]:
    """Silence search; move the service of the API's integration to a policy paging a schedule
    whose two people, in Kolkata and New York, take turns of one hour."""
    schedule = {
        "name": "RP primary",
        "time_zone": "Europe/London",
        "layers": [{"participants": list(ZONES), "rotation": "custom", "shift_hours": 1,
                    "handoff_time": "00:00", "start": start.isoformat()}],
    }  # fmt: skip
    return {
        "users": {
            user_id: {"name": user_id, "email": f"{user_id}@example.com", "time_zone": zone}
            for user_id, zone in ZONES.items()
        }
        | {"rp_asha": ASHA},
        "schedules": {"rp_primary": schedule},
        "escalation_policies": {
            "rp_sched": {
                "name": "RP schedule",
                "rules": [],
                "fallback_target": None,
                "targets": ["schedule:rp_primary"],
            }
        },
        "services": {
            "rp_api": {"name": "RP API", "escalation_policy_id": "rp_sched", "integrations": [BUILTIN_ID]}
        },
        "silences": [SEARCH_SILENCE],
    }


def test_replay_pages_whoever_the_schedule_has_on_call_in_their_own_time_zone(
    api: ApiClient, live_config: dict[str, Any]
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    sent = record_traffic(api, run="-oncall")
    proposal = on_call_proposal(since.replace(minute=0, second=0, microsecond=0) - timedelta(days=1))
    reply = api.post("/api/replay", {"config": proposal, "since": since.isoformat()})
    assert reply.status == 200, reply.body
    proposed = reply.body["proposed"]

    schedule = Schedule.model_validate(proposal["schedules"]["rp_primary"])
    alerts = {s["alert_id"]: api.get(f"/api/alerting/{s['alert_id']}").body for s in sent}
    pages: Counter[str] = Counter()
    nights: Counter[str] = Counter()
    for opened in sent:
        if alerts[opened["alert_id"]]["labels"]["service"] == "search":
            continue
        at = datetime.fromisoformat(api.incident(opened["incident_id"])["created_at"].replace("Z", "+00:00"))
        shift = on_call_at(schedule, at)
        assert shift is not None
        pages[shift.user_id] += 1
        nights[shift.user_id] += at.astimezone(ZoneInfo(ZONES[shift.user_id])).hour in NIGHT_HOURS
    assert sum(pages.values()) == 7
    assert {p: v["pages"] for p, v in proposed["pages_by_person"].items()} == pages
    assert {p: v["night_pages"] for p, v in proposed["pages_by_person"].items()} == nights
    assert proposed["pages_by_team"] == {"schedule:rp_primary": 7}
    assert {p: v["by_method"] for p, v in proposed["pages_by_person"].items()} == {
        who: {METHOD_OF[who]: n} for who, n in pages.items()
    }
