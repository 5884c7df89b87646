"""The ingest, escalation and delivery services on in-memory stores (tests/unit/fakes.py):
no moto, no Step Functions, no network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from vigil.adapters import stores
from vigil.domain.alerts import AlertOutcome, AlertStatus, NormalizedAlert, Severity
from vigil.domain.errors import InvalidTransition, NotFound
from vigil.domain.incidents import Status
from vigil.domain.integrations import Integration
from vigil.domain.teams import Team
from vigil.services import escalation, incident_events, incidents, ladder_steps, warm
from vigil.services.ingest import dedup
from vigil.services.paging import delivery, notify

from tests.unit.fakes import (
    FakeAlerts,
    FakeChannels,
    FakeConfig,
    FakeDeliveries,
    FakeEvents,
    FakeIncidents,
    FakeLadder,
    FakePlaybooks,
    FakeSilences,
    FakeTeams,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
INTEGRATION = Integration(
    integration_id="int_fake", name="fake", kind="generic", created_at="", updated_at="", token_prefix=""
)
TEAM = Team(name="fake_team", webhook_url="https://hooks.example/fake", email_list=["oncall@example.com"])


@dataclass
class World:
    incidents: FakeIncidents
    alerts: FakeAlerts
    deliveries: FakeDeliveries
    ladder: FakeLadder
    channels: FakeChannels
    events: FakeEvents


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = World(FakeIncidents(), FakeAlerts(), FakeDeliveries(), FakeLadder(), FakeChannels(), FakeEvents())
    for name, fake in {
        "incidents": w.incidents,
        "alerts": w.alerts,
        "deliveries": w.deliveries,
        "config": FakeConfig(),
        "teams": FakeTeams(TEAM),
        "playbooks": FakePlaybooks(),
        "silences": FakeSilences(),
    }.items():
        monkeypatch.setattr(stores, name, fake)
    monkeypatch.setattr(escalation, "ladder", w.ladder)
    monkeypatch.setattr(ladder_steps, "ladder", w.ladder)
    monkeypatch.setattr(notify, "channels", w.channels)
    monkeypatch.setattr(delivery, "channels", w.channels)
    monkeypatch.setattr(delivery, "signing_keys", lambda: [b"test-key"])
    monkeypatch.setattr(incident_events, "events", w.events)
    warm.forget_everything()
    yield w
    warm.forget_everything()  # nothing remembered from the fakes outlives them


def _alert(status: AlertStatus = AlertStatus.FIRING, key: str = "disk-1", **fields: Any) -> NormalizedAlert:
    return NormalizedAlert(
        source="generic",
        dedup_key=key,
        status=status,
        title=f"disk full ({key})",
        severity=Severity.CRITICAL,
        **fields,
    )


def _ingest(alert: NormalizedAlert, at: datetime = NOW) -> AlertOutcome:
    return dedup.record_alert(INTEGRATION, alert, at)


# ----------------------------------------------------------------------------- ingest
def test_a_new_alert_opens_an_incident_and_starts_its_ladder_once(world: World) -> None:
    outcome = _ingest(_alert())
    assert outcome.action == "opened"
    incident = world.incidents.records[outcome.incident_id or ""]
    assert (incident["status"], incident["alert_count"], incident["assigned_team"]) == (
        "open",
        1,
        "emergency_team",
    )
    assert world.ladder.started == [outcome.incident_id]
    assert world.alerts.items[outcome.alert_id]["incident_id"] == outcome.incident_id


def test_a_duplicate_is_one_alert_write_and_reads_nothing(world: World) -> None:
    first = _ingest(_alert())
    before = (world.alerts.calls.copy(), world.incidents.calls.copy())
    repeat = _ingest(_alert(), NOW + timedelta(seconds=30))
    assert (repeat.action, repeat.incident_id) == ("duplicate", first.incident_id)
    assert world.alerts.calls - before[0] == {"write": 1}
    assert world.incidents.calls == before[1]
    assert world.ladder.started == [first.incident_id]


def test_alerts_with_one_correlation_key_join_one_incident(world: World) -> None:
    first = _ingest(_alert(key="a", correlation_key="db-cluster"))
    second = _ingest(_alert(key="b", correlation_key="db-cluster"))
    assert (first.action, second.action) == ("opened", "joined")
    assert second.incident_id == first.incident_id
    assert world.incidents.records[first.incident_id or ""]["alert_count"] == 2


def test_the_last_alert_resolving_resolves_the_incident_and_frees_its_window(world: World) -> None:
    opened = _ingest(_alert(correlation_key="db-cluster"))
    resolved = _ingest(_alert(AlertStatus.RESOLVED, correlation_key="db-cluster"), NOW + timedelta(minutes=1))
    assert resolved.action == "resolved"
    assert world.incidents.records[opened.incident_id or ""]["status"] == Status.RESOLVED.value
    assert world.alerts.pointers == {}
    assert "Vigil Incident Status Changed" in [kind for kind, _ in world.events.sent]


def test_a_resolve_of_an_alert_never_seen_is_recorded_not_a_change(world: World) -> None:
    outcome = _ingest(_alert(AlertStatus.RESOLVED, key="never"))
    assert (outcome.action, outcome.reason) == ("recorded", "never seen firing")
    assert world.incidents.records == {}


# ----------------------------------------------------------------------------- escalation
def _opened_incident(world: World) -> str:
    return _ingest(_alert()).incident_id or ""


def test_a_page_publishes_one_message_per_reachable_channel_and_waits(world: World) -> None:
    incident_id = _opened_incident(world)
    world.incidents.records[incident_id]["assigned_team"] = TEAM.name
    arn = f"arn:aws:states:us-east-1:1:execution:vigil:{incident_id}"
    cursor = {"rung": 0, "round": 0, "wait_seconds": 60, "outcome": "page"}
    assert ladder_steps.on_page(incident_id, cursor, "token-1", arn) == {"paged": 2}
    assert sorted(channel for channel, _ in world.channels.published) == ["email", "webhook"]
    state = world.incidents.records[incident_id]["escalation"]
    assert (state["state"], state["task_token"]) == ("waiting", "token-1")


def test_an_acknowledged_incident_is_not_paged_and_its_wait_ends(world: World) -> None:
    incident_id = _opened_incident(world)
    world.incidents.records[incident_id]["status"] = Status.ACKNOWLEDGED.value
    arn = f"arn:aws:states:us-east-1:1:execution:vigil:{incident_id}"
    result = ladder_steps.on_page(incident_id, {"rung": 0, "round": 0}, "token-2", arn)
    assert result == {"paged": 0} and world.channels.published == []
    assert world.ladder.answers == [("token-2", escalation.answer("stopped"))]


def test_acknowledging_answers_the_waiting_rung_with_the_ack_timeout(world: World) -> None:
    incident_id = _opened_incident(world)
    world.incidents.records[incident_id]["escalation"] = {"state": "waiting", "task_token": "token-3"}
    escalation.save_policy(escalation.load_policy().model_copy(update={"ack_timeout_seconds": 600}), "test")
    incidents.change_status(incident_id, Status.ACKNOWLEDGED, actor="ann")
    [(token, output)] = world.ladder.answers
    assert token == "token-3" and output["answer"] == "acknowledged"
    assert output["ack_timeout_seconds"] == 600
    assert world.incidents.records[incident_id]["escalation"]["task_token"] is None


def test_reopening_a_resolved_incident_restarts_its_ladder_as_a_new_run(world: World) -> None:
    incident_id = _opened_incident(world)
    incidents.change_status(incident_id, Status.RESOLVED, actor="ann")
    incidents.change_status(incident_id, Status.OPEN, actor="ann")
    assert world.ladder.started == [incident_id, f"{incident_id}-run1"]


# ----------------------------------------------------------------------------- delivery
def _message(delivery_id: str = "dlv_fake1", channel: str = "webhook") -> dict[str, object]:
    return {
        "delivery_id": delivery_id,
        "channel": channel,
        "team": TEAM.name,
        "destinations": ["https://hooks.example/fake"],
        "rung": 0,
        "round": 0,
        "purpose": "page",
        "incident": {"incident_id": "inc_fake", "title": "disk full", "severity": "high", "status": "open"},
    }


OPTIONS = delivery.DeliveryOptions(retry_base_seconds=5)


def test_a_delivery_is_sent_once_however_often_it_arrives(world: World) -> None:
    assert delivery.deliver(_message(), 1, OPTIONS) == "sent"
    assert delivery.deliver(_message(), 2, OPTIONS) == "duplicate"
    [(url, body)] = world.channels.posted
    assert url == "https://hooks.example/fake" and json.loads(body)["incident"]["incident_id"] == "inc_fake"
    assert world.deliveries.items["dlv_fake1"]["status"] == "sent"


def test_a_transient_failure_is_retried_after_a_backoff(world: World) -> None:
    world.channels.status = 503
    with pytest.raises(delivery.DeliveryFailed) as failed:
        delivery.deliver(_message(), 1, OPTIONS)
    assert 0 <= failed.value.retry_after <= 5
    assert world.deliveries.items["dlv_fake1"]["status"] == "failed"
    assert world.channels.published == []  # not yet final: no fallback


def test_a_final_failure_falls_back_to_email(world: World) -> None:
    world.channels.status = 404
    assert delivery.deliver(_message(), 1, OPTIONS) == "failed"
    [(channel, fallback)] = world.channels.published
    assert channel == "email" and fallback["destinations"] == ["oncall@example.com"]
    assert fallback["purpose"] == "fallback-webhook"


def test_a_retry_sends_only_to_the_destinations_that_failed(world: World) -> None:
    good, flaky = "https://hooks.example/good", "https://hooks.example/flaky"
    message = {**_message(), "destinations": [good, flaky]}
    world.channels.status_by_url[flaky] = 500
    for attempt in (1, 2):
        with pytest.raises(delivery.DeliveryFailed):
            delivery.deliver(message, attempt, OPTIONS)
    world.channels.status_by_url[flaky] = 200
    assert delivery.deliver(message, 3, OPTIONS) == "sent"
    posted = [url for url, _ in world.channels.posted]
    assert posted.count(good) == 1 and posted.count(flaky) == 3


def test_a_failed_delivery_is_replayed_as_it_was_sent_and_shown_without_its_secrets(world: World) -> None:
    world.channels.status = 404
    assert delivery.deliver(_message(), 1, OPTIONS) == "failed"
    world.channels.published.clear()  # the fallback to email
    entry = delivery.replay("dlv_fake1", actor="ann")
    assert world.channels.published == [("webhook", _message())]
    assert (entry.status, entry.attempts, entry.last_status_code) == ("failed", 1, 404)
    assert entry.destinations == ["https://hooks.example"]  # a webhook's path is its secret
    assert "message" not in entry.model_dump() and "sent_to" not in entry.model_dump()


def test_only_a_failed_delivery_is_replayed(world: World) -> None:
    assert delivery.deliver(_message(), 1, OPTIONS) == "sent"
    with pytest.raises(InvalidTransition, match="only a failed one"):
        delivery.replay("dlv_fake1", actor="ann")
    with pytest.raises(NotFound):
        delivery.replay("dlv_unknown", actor="ann")
    assert world.channels.published == []


def test_one_bad_destination_does_not_hold_back_the_others(world: World) -> None:
    dead, good = "https://hooks.example/dead", "https://hooks.example/good"
    world.channels.status_by_url[dead] = 410
    message = {**_message(), "destinations": [dead, good]}
    assert delivery.deliver(message, 1, OPTIONS) == "failed"  # 410: final, falls back at once
    assert [url for url, _ in world.channels.posted] == [dead, good]
    assert world.deliveries.items["dlv_fake1"]["sent_to"] == [good]


# ----------------------------------------------------------------------------- status changes at their floor
def test_an_acknowledgement_answers_with_the_ack_timeout_its_rung_recorded_reading_once(world: World) -> None:
    incident_id = _opened_incident(world)
    waiting = {"state": "waiting", "task_token": "token-4", "ack_timeout_seconds": 120}
    world.incidents.records[incident_id]["escalation"] = waiting
    escalation.save_policy(escalation.load_policy().model_copy(update={"ack_timeout_seconds": 600}), "test")
    before = world.incidents.calls.copy()
    incidents.change_status(incident_id, Status.ACKNOWLEDGED, actor="ann")
    [(token, output)] = world.ladder.answers
    assert (token, output["ack_timeout_seconds"]) == ("token-4", 120)  # the policy is not read
    assert world.incidents.calls - before == {"read": 1, "write": 2}
    assert world.incidents.records[incident_id]["escalation"]["state"] == "acknowledged"


def test_the_last_alert_resolving_is_one_incident_write_and_one_timeline_item(world: World) -> None:
    opened = _ingest(_alert())
    incident_id = opened.incident_id or ""
    world.incidents.records[incident_id]["escalation"] = {"state": "waiting", "task_token": "token-5"}
    before = world.incidents.calls.copy()
    _ingest(_alert(AlertStatus.RESOLVED), NOW + timedelta(minutes=1))
    assert world.incidents.calls - before == {"write": 2}
    assert world.incidents.records[incident_id]["status"] == Status.RESOLVED.value
    assert world.ladder.answers == [("token-5", escalation.answer("resolved"))]
    messages = [e["message"] for e in world.incidents.timelines[incident_id]]
    assert messages == [
        "alert resolved at source: disk full (disk-1)",
        "open → resolved: " + dedup.RESOLVED_AT_SOURCE,
    ]


def test_an_alert_resolving_while_others_still_fire_leaves_its_incident_open(world: World) -> None:
    opened = _ingest(_alert())
    incident_id = opened.incident_id or ""
    world.incidents.records[incident_id]["firing_alerts"] = 2  # another alert was merged in
    _ingest(_alert(AlertStatus.RESOLVED), NOW + timedelta(minutes=1))
    record = world.incidents.records[incident_id]
    assert (record["status"], record["firing_alerts"]) == (Status.OPEN.value, 1)
    assert world.ladder.answers == []
    [entry] = world.incidents.timelines[incident_id]
    assert entry["data"]["still_firing"] == 1


@pytest.mark.parametrize("end", ["exhausted", "failed"])
def test_a_run_ending_after_a_newer_run_was_stored_leaves_the_newer_run_s_state(
    world: World, monkeypatch: pytest.MonkeyPatch, end: str
) -> None:
    """The last step of run 0 read the incident before a snooze stored run 1 (and its state):
    it ends quietly, without overwriting that state, paging the fallback or adding an entry."""
    incident_id = _opened_incident(world)
    as_read = world.incidents.get(incident_id)  # run 0 current, as the step reads it
    record = world.incidents.records[incident_id]
    record["ladder_runs"], record["escalation"] = 1, {"state": "snoozed"}  # stored meanwhile
    monkeypatch.setattr(world.incidents, "get", lambda *_, **__: as_read)
    monkeypatch.setattr(world.incidents, "find", lambda *_, **__: as_read)
    arn = world.ladder.execution_arn(incident_id, 0)
    if end == "exhausted":
        assert ladder_steps.on_exhausted(incident_id, {}, arn) == {"paged": 0}
    else:
        assert ladder_steps.on_failed(incident_id, {"Error": "States.Timeout"}, arn) == {"paged": 0}
    assert record["escalation"] == {"state": "snoozed"}
    assert [entry["message"] for entry in world.incidents.timelines.get(incident_id, [])] == []
    assert world.channels.published == []


def test_an_acknowledgement_stored_after_the_page_step_read_the_incident_stops_the_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident_id = _opened_incident(world)
    world.incidents.records[incident_id]["assigned_team"] = TEAM.name
    as_read = world.incidents.get(incident_id)  # open, as the page step reads it
    world.incidents.records[incident_id]["status"] = Status.ACKNOWLEDGED.value  # stored meanwhile
    monkeypatch.setattr(world.incidents, "get", lambda _: as_read)
    arn = f"arn:aws:states:us-east-1:1:execution:vigil:{incident_id}"
    cursor = {"rung": 0, "round": 0, "wait_seconds": 60, "outcome": "page"}
    assert ladder_steps.on_page(incident_id, cursor, "token-6", arn) == {"paged": 0}
    assert world.channels.published == []
    assert world.ladder.answers == [("token-6", escalation.answer("stopped"))]
