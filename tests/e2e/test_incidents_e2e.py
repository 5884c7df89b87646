"""The incident API over HTTP: lifecycle, concurrency, deletion, timeline, analytics, events."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3

from tests.conftest import payload
from tests.helpers.client import ApiClient, Reply, wait_for

BASE = "/api/incident_response"


def _open(api: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"title": "orders API latency", "severity": "medium", "category": "performance", **fields}
    reply = api.post(BASE, body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_alert_to_closed_walk_with_every_timeline_entry_and_mtta_mttr(api: ApiClient) -> None:
    integration = api.integration("pagerduty")
    event = payload("pagerduty_events_v2_trigger_openapi_example.json")
    event["routing_key"] = integration["token"]
    event["dedup_key"] = f"walk-{integration['integration_id']}"
    queued = api.post("/v2/enqueue", event, key=None)
    assert queued.status == 202 and queued.body["status"] == "success"
    alert_id = api.get("/api/incident_response").body["items"][0]["incident_id"]
    incident = api.incident(alert_id)
    incident_id = incident["incident_id"]
    assert incident["alerts"][0]["dedup_key"] == event["dedup_key"]

    for status in ("investigating", "acknowledged", "resolved", "closed"):
        reply = api.put(f"{BASE}/{incident_id}", {"status": status, "reason": f"now {status}"})
        assert reply.status == 200 and reply.body["status"] == status, reply.body
    note = api.post(f"{BASE}/{incident_id}/notes", {"note": "root cause: a bad deploy"})
    assert note.status == 201

    timeline = api.get(f"{BASE}/{incident_id}/timeline").body["items"]
    status_moves = [(e["data"]["from"], e["data"]["to"]) for e in timeline if e["kind"] == "status"]
    assert status_moves == [
        ("open", "investigating"),
        ("investigating", "acknowledged"),
        ("acknowledged", "resolved"),
        ("resolved", "closed"),
    ]
    # The page's delivery entries come whenever the deliveries run (the local runtime runs them
    # after the requests being answered, as another function would on AWS): not in this order.
    notes = [n for n, e in enumerate(timeline) if e["kind"] == "note"]
    last_move = max(n for n, e in enumerate(timeline) if e["kind"] == "status")
    assert timeline[0]["kind"] == "opened" and len(notes) == 1 and notes[0] > last_move
    assert timeline[notes[0]]["message"] == "root cause: a bad deploy"
    assert all(e["actor"] for e in timeline)
    closed = api.incident(incident_id)
    assert closed["acknowledged_at"] and closed["resolved_at"] and closed["closed_at"]

    stats = api.get(f"/api/analytics?since={closed['created_at']}&until={closed['closed_at']}").body
    assert stats["incidents"] >= 1 and stats["mtta_seconds"] is not None and stats["mttr_seconds"] is not None
    own = api.get(f"/api/analytics?since={closed['created_at']}&until={closed['created_at']}").body
    from vigil.domain.clock import parse_iso

    expected_mtta = (parse_iso(closed["acknowledged_at"]) - parse_iso(closed["created_at"])).total_seconds()
    assert own["incidents"] == 1 and abs(own["mtta_seconds"] - expected_mtta) < 0.002


def test_refused_transition_is_422_naming_both_states(api: ApiClient) -> None:
    incident = _open(api)
    api.put(f"{BASE}/{incident['incident_id']}", {"status": "closed"})
    reply = api.put(f"{BASE}/{incident['incident_id']}", {"status": "open"})
    assert reply.status == 422
    assert "closed" in reply.body["error"]["message"] and "open" in reply.body["error"]["message"]


def test_two_concurrent_writers_one_wins_the_other_gets_409(api: ApiClient) -> None:
    incident = _open(api)
    version = incident["version"]
    replies: list[Reply] = []
    barrier = threading.Barrier(2)

    def write(title: str) -> None:
        barrier.wait()
        replies.append(api.put(f"{BASE}/{incident['incident_id']}", {"title": title, "version": version}))

    threads = [threading.Thread(target=write, args=(t,)) for t in ("first title", "second title")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in replies) == [200, 409]
    winner = next(r for r in replies if r.status == 200).body["title"]
    assert api.incident(incident["incident_id"])["title"] == winner


def test_if_match_header_guards_updates(api: ApiClient) -> None:
    incident = _open(api)
    stale = api.put(f"{BASE}/{incident['incident_id']}", {"severity": "high"}, headers={"If-Match": "999"})
    assert stale.status == 409
    fresh = api.put(
        f"{BASE}/{incident['incident_id']}",
        {"severity": "high"},
        headers={"If-Match": f'"{incident["version"]}"'},
    )
    assert fresh.status == 200 and fresh.body["severity"] == "high"


def test_delete_refuses_an_open_incident_unless_forced_and_leaves_an_audit_record(api: ApiClient) -> None:
    incident = _open(api)
    path = f"{BASE}/{incident['incident_id']}"
    refused = api.call("DELETE", path)
    assert refused.status == 409 and refused.body["error"]["details"][0]["field"] == "force"
    forced = api.call("DELETE", f"{path}?force=true")
    assert forced.status == 200
    assert api.get(path).status == 404
    from vigil.adapters import dynamo

    audit = list(dynamo.query_all(f"AUDIT#{incident['incident_id']}"))
    assert audit and audit[0]["forced"] is True and audit[0]["incident"]["title"] == incident["title"]


def test_reassignment_and_edits_are_on_the_timeline(api: ApiClient) -> None:
    incident = _open(api)
    path = f"{BASE}/{incident['incident_id']}"
    reply = api.put(path, {"assigned_team": "database_team", "description": "slow queries on orders-db"})
    assert reply.status == 200 and reply.body["assigned_team"] == "database_team"
    entries = [e for e in reply.body["timeline"] if e["kind"] in ("update", "assignment")]
    assert entries[-1]["data"]["assigned_team"] == {"from": "performance_team", "to": "database_team"}


def test_bad_bodies_are_400_naming_the_field(api: ApiClient) -> None:
    cases = [
        ({"title": ""}, "body.title"),
        ({"title": "x", "severity": "huge"}, "body.severity"),
        ({"title": "x", "labels": {"a": 1}}, "body.labels.a"),
    ]
    for body, field in cases:
        reply = api.post(BASE, body)
        assert reply.status == 400, body
        assert reply.body["error"]["details"][0]["field"] == field
    assert api.get(f"{BASE}?limit=0").status == 400
    assert api.get(f"{BASE}?cursor=garbage").status == 400


def test_listing_filters_paginates_and_counts(api: ApiClient) -> None:
    marker = "pagination-marker-7f3"
    for n in range(5):
        _open(api, title=f"{marker} {n}", severity="low")
    first = api.get(f"{BASE}?text={marker}&limit=2").body
    assert [i["title"] for i in first["items"]] == [f"{marker} 4", f"{marker} 3"]
    second = api.get(f"{BASE}?text={marker}&limit=2&cursor={first['next_cursor']}").body
    third = api.get(f"{BASE}?text={marker}&limit=2&cursor={second['next_cursor']}").body
    assert [i["title"] for i in second["items"] + third["items"]] == [f"{marker} {n}" for n in (2, 1, 0)]
    assert third["next_cursor"] is None
    assert first["counts"]["open"] >= 5


def test_from_alert_is_idempotent(api: ApiClient) -> None:
    integration = api.integration("generic")
    sent = api.post(
        f"/api/hooks/{integration['token']}", {"title": "queue depth", "severity": "info"}, key=None
    )
    alert_id = sent.body["alerts"][0]["alert_id"]
    assert sent.body["alerts"][0]["incident_id"] is None  # info pages nobody, so no incident yet
    first = api.post(f"{BASE}/from-alert", {"alert_id": alert_id})
    again = api.post(f"{BASE}/from-alert", {"alert_id": alert_id})
    assert first.status == again.status == 200
    assert first.body["incident_id"] == again.body["incident_id"]
    assert api.post(f"{BASE}/from-alert", {"alert_id": "alr_missing"}).status == 404


def test_incident_changes_are_published_on_the_event_bus(api: ApiClient, stack: Any) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    events = boto3.client("events", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="incident-events-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus = stack.resolver.physical["IncidentEventsBus"]["Name"]
    events.put_rule(
        Name="incident-events-test", EventBusName=bus, EventPattern=json.dumps({"source": ["vigil"]})
    )
    events.put_targets(Rule="incident-events-test", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])

    incident = _open(api)
    api.post(f"{BASE}/{incident['incident_id']}/acknowledge", {})

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    seen = wait_for(received)
    mine = [e for e in seen if e["detail"]["incident"]["incident_id"] == incident["incident_id"]]
    assert mine[0]["detail-type"] == "Vigil Incident Status Changed"
    assert mine[0]["detail"]["schema"] == "vigil.incident-event.v1"
    assert mine[0]["detail"]["data"] == {"from": "open", "to": "acknowledged", "reason": ""}


def test_assignment_rules_are_configurable(api: ApiClient) -> None:
    default = api.get(f"{BASE}/assignment-rules").body
    assert (
        default["by_category"]["database"] == "database_team"
        and default["by_severity"]["critical"] == "emergency_team"
    )
    try:
        changed = {**default, "by_category": {**default["by_category"], "database": "dba_team"}}
        assert api.put(f"{BASE}/assignment-rules", changed).status == 200
        assert _open(api, severity="medium", category="database")["assigned_team"] == "dba_team"
        assert api.put(f"{BASE}/assignment-rules", {"by_severity": "x"}).status == 400
    finally:
        api.put(f"{BASE}/assignment-rules", default)


def test_auto_resolve_can_be_turned_off(api: ApiClient) -> None:
    rules = api.get("/api/alerting/rules").body
    integration = api.integration("generic")
    key = f"keep-open-{integration['integration_id']}"
    try:
        api.put("/api/alerting/rules", {**rules, "resolve_incidents_with_alerts": False})
        opened = api.post(f"/api/hooks/{integration['token']}", {"title": key, "dedup_key": key}, key=None)
        incident_id = opened.body["alerts"][0]["incident_id"]
        api.post(
            f"/api/hooks/{integration['token']}",
            {"title": key, "dedup_key": key, "status": "resolved"},
            key=None,
        )
        assert api.incident(incident_id)["status"] == "open"
    finally:
        api.put("/api/alerting/rules", rules)
