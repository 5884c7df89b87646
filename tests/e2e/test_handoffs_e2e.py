"""Handoff notices and resolve notices to people on the local runtime (the real handoffs, page
and deliver functions, their IAM roles enforced): an override that came and went within the
look-behind is notified once per person and direction however often the minute's run is
triggered, with the open incident of the service paging the schedule; a person paged by their
rules hears of the resolution once, on the contact method their first step used."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers.client import ApiClient, wait_for

RUN = "/_local/schedule/HandoffsFunction"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _person(api: ApiClient, user_id: str, phone: str, rules: dict[str, Any]) -> None:
    body = {
        "name": user_id.title(),
        "email": f"{user_id}@example.com",
        "contact_methods": [
            {"id": "mail", "type": "email", "address": f"{user_id}@example.com"},
            {"id": "phone", "type": "sms", "address": phone},
        ],
        "notification_rules": rules,
    }
    assert api.put(f"/api/users/{user_id}", body).status == 200


def _service_paging(api: ApiClient, target: str) -> str:
    """A service whose policy pages `target` at once; the token of its integration."""
    policy = api.post(
        "/api/escalation-policies",
        {"name": f"handoffs {target}", "rules": [], "targets": [target], "fallback_target": None},
    )
    assert policy.status == 201, policy.body
    integration = api.integration("generic")
    service = {
        "name": f"handoffs {target}",
        "escalation_policy_id": policy.body["policy_id"],
        "integrations": [integration["integration_id"]],
    }
    assert api.post("/api/services", service).status == 201
    return str(integration["token"])


def _fire(api: ApiClient, token: str, dedup_key: str, status: str = "firing") -> dict[str, Any]:
    alert = {
        "title": f"checkout down {dedup_key}",
        "severity": "critical",
        "dedup_key": dedup_key,
        "status": status,
    }
    sent = api.post(f"/api/hooks/{token}", alert, key=None)
    assert sent.status in (200, 202), sent.body
    return dict(sent.body["alerts"][0])


def _outbox(api: ApiClient, target: str) -> list[dict[str, Any]]:
    return [item for item in api.get("/_local/outbox").body["items"] if item["target"] == target]


def _text(item: dict[str, Any]) -> str:
    """An email's subject and text, or an SMS."""
    body = item["body"]
    return f"{item.get('subject')}\n{body.get('Text')}" if isinstance(body, dict) else str(body)


def _handoff_notices(api: ApiClient, target: str) -> list[str]:
    return [text for text in map(_text, _outbox(api, target)) if "Handoff:" in text]


def test_a_handoff_is_notified_once_per_person_and_direction_with_what_is_open(api: ApiClient) -> None:
    ann, bob = f"ann{secrets.token_hex(3)}", f"bob{secrets.token_hex(3)}"
    phones = {ann: "+15550100311", bob: "+15550100312"}
    # A handoff is told by the low-urgency steps at 0 minutes: Ann's email (not her SMS at 5), Bob's SMS.
    _person(api, ann, phones[ann], {"low": [{"contact_method_id": "mail", "after_minutes": 0},
                                            {"contact_method_id": "phone", "after_minutes": 5}]})  # fmt: skip
    _person(api, bob, phones[bob], {"low": [{"contact_method_id": "phone", "after_minutes": 0}]})
    now = datetime.now(UTC).replace(microsecond=0)
    layer = {
        "participants": [ann],
        "rotation": "daily",
        "handoff_time": "00:00:00",
        "start": _stamp(now - timedelta(days=2)),
    }
    schedule = api.post("/api/schedules", {"name": "Checkout", "time_zone": "UTC", "layers": [layer]})
    assert schedule.status == 201, schedule.body
    schedule_id = schedule.body["schedule_id"]
    token = _service_paging(api, f"schedule:{schedule_id}")
    incident_id = _fire(api, token, f"handoff-{schedule_id}")["incident_id"]

    # Bob covered for one minute, from three minutes ago: four handoffs inside the look-behind.
    cover = {
        "user_id": bob,
        "start": _stamp(now - timedelta(minutes=3)),
        "end": _stamp(now - timedelta(minutes=2)),
    }
    assert api.post(f"/api/schedules/{schedule_id}/overrides", cover).status == 201
    runs = [api.post(RUN, {"time": _stamp(now)}) for _ in range(2)]
    assert all(run.status == 200 for run in runs), [run.body for run in runs]
    ours = [[n for n in run.body["notified"] if n["schedule_id"] == schedule_id] for run in runs]
    assert ours[1] == []  # the first run (or the runtime's own minute timer) claimed them all
    assert {(n["user_id"], n["direction"]) for n in ours[0]} <= {
        (ann, "off"),
        (bob, "on"),
        (bob, "off"),
        (ann, "on"),
    }

    def ledger() -> list[dict[str, Any]]:
        items = api.get(f"/api/notifications?incident_id=handoff:{schedule_id}").body["items"]
        return items if len(items) == 4 and all(i["status"] == "sent" for i in items) else []

    assert sorted((d["team"], d["channel"], d["purpose"]) for d in wait_for(ledger, timeout=20)) == [
        (f"user:{ann}", "email", "handoff"),
        (f"user:{ann}", "email", "handoff"),
        (f"user:{bob}", "sms", "handoff"),
        (f"user:{bob}", "sms", "handoff"),
    ]
    assert api.post(RUN, {"time": _stamp(now + timedelta(minutes=1))}).status == 200
    emails, texts = _handoff_notices(api, f"{ann}@example.com"), _handoff_notices(api, phones[bob])
    assert sorted(e.split(" for ")[0] for e in emails) == [
        "Handoff: you are off call",
        "Handoff: you are on call",
    ]
    assert sorted(t.split(" for ")[0] for t in texts) == [
        "Handoff: you are off call",
        "Handoff: you are on call",
    ]
    assert all(incident_id in e and "Open incidents (1):" in e for e in emails), emails
    assert all(t.endswith("Open incidents: 1.") for t in texts)
    assert _outbox(api, phones[ann]) == []  # her later step is not part of a handoff
    assert len(api.get(f"/api/notifications?incident_id=handoff:{schedule_id}").body["items"]) == 4


def test_a_person_paged_by_rules_hears_once_that_the_incident_resolved_at_its_source(api: ApiClient) -> None:
    cy = f"cy{secrets.token_hex(3)}"
    phone = "+15550100313"
    # Paged by SMS at once; the email at 10 minutes never comes (the incident resolves first).
    _person(api, cy, phone, {"high": [{"contact_method_id": "phone", "after_minutes": 0},
                                      {"contact_method_id": "mail", "after_minutes": 10}]})  # fmt: skip
    token = _service_paging(api, f"user:{cy}")
    dedup_key = f"resolve-{cy}"
    incident_id = _fire(api, token, dedup_key)["incident_id"]
    wait_for(lambda: _outbox(api, phone), timeout=20)
    assert _fire(api, token, dedup_key, status="resolved")["action"] == "resolved"
    assert api.incident(incident_id)["status"] == "resolved"

    def resolve_notices() -> list[dict[str, Any]]:
        items = api.get(f"/api/notifications?incident_id={incident_id}").body["items"]
        return [d for d in items if d["purpose"] == "resolved" and d["status"] == "sent"]

    [notice] = wait_for(resolve_notices, timeout=20)
    assert (notice["team"], notice["channel"]) == (f"user:{cy}", "sms")
    texts = [str(item["body"]) for item in _outbox(api, phone) if incident_id in str(item["body"])]
    assert len(texts) == 2 and texts[1].startswith("[RESOLVED]"), texts
    assert not _outbox(api, f"{cy}@example.com")
    timeline = [e["message"] for e in api.incident(incident_id)["timeline"]]
    assert f"told user:{cy} that the incident resolved at its source" in timeline
