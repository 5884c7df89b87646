"""Replay on the local runtime: traffic recorded through the real ingestion path, replayed under
a proposal that silences one service and moves another to a different team; the report's pages
are checked against a count made directly with the domain, and nothing is written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from vigil.domain.incidents import AssignmentRules
from vigil.domain.replay import is_night, pages_to
from vigil.domain.teams import Team

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


def send(api: ApiClient, service: str, n: int, status: str = "firing") -> dict[str, Any]:
    alert = {"title": f"replay {service} {n}", "severity": "medium", "category": SERVICES[service],
             "source": "replay-test", "labels": {"service": service}, "status": status}  # fmt: skip
    reply = api.post("/api/alerting/send", alert)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def record_traffic(api: ApiClient) -> list[dict[str, Any]]:
    """Three alerts per service, each sent twice (a duplicate); one resolves and fires again."""
    sent = []
    for service in SERVICES:
        for n in range(3):
            sent.append(send(api, service, n))
            assert send(api, service, n)["action"] == "duplicate"
    send(api, "checkout", 0, "resolved")
    sent.append(send(api, "checkout", 0))
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
